package dev.quark.autoconfigure.state;

import java.util.LinkedHashMap;
import java.util.Map;

import dev.quark.autoconfigure.backend.QuarkBackend;
import dev.quark.state.StateStoreRegistry;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.InitializingBean;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;

/**
 * Configuration of persistent actor state: where the default store and the named stores keep states.
 */
@ConfigurationProperties(QuarkPersistenceProperties.PREFIX)
public class QuarkPersistenceProperties implements InitializingBean {

    static final String PREFIX = "quark.persistence";

    /**
     * Where the default state store keeps states: memory, redis or postgres. Defaults to quark.backend.
     */
    private @Nullable QuarkBackend backend;

    /**
     * Named state stores, which @ActorState(store = "name") refers to, by name.
     */
    private Map<String, Store> stores = new LinkedHashMap<>();

    public @Nullable QuarkBackend getBackend() {
        return this.backend;
    }

    public void setBackend(@Nullable QuarkBackend backend) {
        this.backend = backend;
    }

    public Map<String, Store> getStores() {
        return this.stores;
    }

    public void setStores(Map<String, Store> stores) {
        this.stores = stores;
    }

    /**
     * Rejects store names that {@code @ActorState} cannot refer to; the failure names the property.
     * @throws InvalidConfigurationPropertyValueException for the first invalid store name
     */
    @Override
    public void afterPropertiesSet() {
        for (String name : this.stores.keySet()) {
            if (name.equals(StateStoreRegistry.DEFAULT)) {
                throw new InvalidConfigurationPropertyValueException(PREFIX + ".stores." + name, name,
                        "'default' is the default store; configure it with quark.persistence.backend");
            }
            if (!StateStoreRegistry.isValidName(name)) {
                throw new InvalidConfigurationPropertyValueException(PREFIX + ".stores." + name, name,
                        "store names use letters, digits, '_' and '-'");
            }
        }
    }

    /**
     * A named state store.
     */
    public static class Store {

        /**
         * Where the store keeps states: memory, redis or postgres. Defaults to quark.persistence.backend.
         */
        private @Nullable QuarkBackend backend;

        public @Nullable QuarkBackend getBackend() {
            return this.backend;
        }

        public void setBackend(@Nullable QuarkBackend backend) {
            this.backend = backend;
        }
    }
}
