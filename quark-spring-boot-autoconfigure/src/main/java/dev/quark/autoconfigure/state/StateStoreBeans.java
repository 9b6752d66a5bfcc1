package dev.quark.autoconfigure.state;

import java.util.EnumMap;
import java.util.Map;

import dev.quark.autoconfigure.backend.BackendSelection;
import dev.quark.autoconfigure.backend.QuarkBackend;
import dev.quark.autoconfigure.backend.QuarkBackendResolver;
import dev.quark.state.StateStore;
import dev.quark.state.StateStoreRegistry;

import org.springframework.beans.factory.ListableBeanFactory;

/**
 * Builds the {@link StateStoreRegistry} from the store bean of each backend, found by name so that this class
 * never loads a backend's classes. The backends' libraries were checked when the store beans' conditions
 * ({@link dev.quark.autoconfigure.backend.ConditionalOnQuarkBackend}) matched.
 */
final class StateStoreBeans {

    /** The bean name of the in-memory store; define a {@code StateStore} bean with this name to replace it. */
    static final String MEMORY = "quarkInMemoryStateStore";

    /** The bean name of the Redis store; define a {@code StateStore} bean with this name to replace it. */
    static final String REDIS = "quarkRedisStateStore";

    /** The bean name of the PostgreSQL store; define a {@code StateStore} bean with this name to replace it. */
    static final String POSTGRES = "quarkJdbcStateStore";

    private final ListableBeanFactory beanFactory;

    private final Map<QuarkBackend, StateStore> stores = new EnumMap<>(QuarkBackend.class);

    StateStoreBeans(ListableBeanFactory beanFactory) {
        this.beanFactory = beanFactory;
    }

    StateStoreRegistry registry(QuarkBackendResolver resolver, QuarkPersistenceProperties persistence) {
        StateStoreRegistry registry = StateStoreRegistry.of(store(resolver.resolve(QuarkBackendResolver.STATE)));
        for (String name : persistence.getStores().keySet()) {
            registry = registry.with(name, store(resolver.resolve(QuarkBackendResolver.STATE, name)));
        }
        return registry;
    }

    private StateStore store(BackendSelection selection) {
        return this.stores.computeIfAbsent(selection.backend(), (backend) -> find(selection));
    }

    private StateStore find(BackendSelection selection) {
        String beanName = switch (selection.backend()) {
            case MEMORY -> MEMORY;
            case REDIS -> REDIS;
            case POSTGRES -> POSTGRES;
        };
        if (!this.beanFactory.containsBean(beanName)) {
            throw new IllegalStateException(selection.user() + " uses " + selection.setting()
                    + ", but there is no StateStore bean named '" + beanName + "'");
        }
        return this.beanFactory.getBean(beanName, StateStore.class);
    }
}
