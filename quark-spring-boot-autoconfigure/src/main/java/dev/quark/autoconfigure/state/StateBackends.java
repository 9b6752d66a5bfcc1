package dev.quark.autoconfigure.state;

import java.util.LinkedHashMap;
import java.util.Map;

import dev.quark.autoconfigure.QuarkBackend;
import dev.quark.autoconfigure.QuarkProperties;
import dev.quark.state.StateStoreRegistry;

import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.Environment;

/**
 * Which backend each state store uses, and which property chose it: {@code quark.persistence.stores.<name>.backend},
 * else {@code quark.persistence.backend}, else {@code quark.backend}.
 */
final class StateBackends {

    private StateBackends() {
    }

    /**
     * Resolves the backend of every store, the default store first.
     */
    static Map<String, Choice> resolve(QuarkProperties quark, QuarkPersistenceProperties persistence) {
        Choice fallback = (persistence.getBackend() != null)
                ? new Choice(persistence.getBackend(), QuarkPersistenceProperties.PREFIX + ".backend")
                : new Choice(quark.getBackend(), "quark.backend");
        Map<String, Choice> choices = new LinkedHashMap<>();
        choices.put(StateStoreRegistry.DEFAULT, fallback);
        persistence.getStores().forEach((name, store) -> {
            if (!name.equals(StateStoreRegistry.DEFAULT)) {
                choices.put(name, (store.getBackend() != null)
                        ? new Choice(store.getBackend(), QuarkPersistenceProperties.PREFIX + ".stores." + name + ".backend")
                        : fallback);
            }
        });
        return choices;
    }

    /**
     * Resolves the backend of every store from the environment, before the properties beans exist.
     */
    static Map<String, Choice> resolve(Environment environment) {
        Binder binder = Binder.get(environment);
        QuarkProperties quark = binder.bind("quark", Bindable.of(QuarkProperties.class)).orElseGet(QuarkProperties::new);
        QuarkPersistenceProperties persistence = binder
            .bind(QuarkPersistenceProperties.PREFIX, Bindable.of(QuarkPersistenceProperties.class))
            .orElseGet(QuarkPersistenceProperties::new);
        return resolve(quark, persistence);
    }

    /**
     * A store's backend and the property that chose it.
     *
     * @param backend the backend
     * @param property the property that chose it
     */
    record Choice(QuarkBackend backend, String property) {

        /**
         * Returns the setting as {@code property=value}, for messages.
         */
        String setting() {
            return this.property + "=" + this.backend.propertyValue();
        }
    }
}
