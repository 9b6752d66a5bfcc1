package dev.quark.autoconfigure.state;

import java.util.EnumMap;
import java.util.Map;

import dev.quark.autoconfigure.MissingBackendDependencyException;
import dev.quark.autoconfigure.QuarkBackend;
import dev.quark.autoconfigure.postgres.QuarkPostgresProperties;
import dev.quark.state.StateStore;
import dev.quark.state.StateStoreRegistry;

import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.util.ClassUtils;

/**
 * Builds the {@link StateStoreRegistry} from the store bean of each backend, found by name so that this class
 * never loads a backend's classes, and explains what is missing when a selected backend has no bean.
 */
final class StateStoreBeans {

    /** The bean name of the in-memory store; define a {@code StateStore} bean with this name to replace it. */
    static final String MEMORY = "quarkInMemoryStateStore";

    /** The bean name of the Redis store; define a {@code StateStore} bean with this name to replace it. */
    static final String REDIS = "quarkRedisStateStore";

    /** The bean name of the PostgreSQL store; define a {@code StateStore} bean with this name to replace it. */
    static final String POSTGRES = "quarkJdbcStateStore";

    private final ListableBeanFactory beanFactory;

    private final QuarkPostgresProperties postgres;

    private final ClassLoader classLoader;

    private final Map<QuarkBackend, StateStore> stores = new EnumMap<>(QuarkBackend.class);

    StateStoreBeans(ListableBeanFactory beanFactory, QuarkPostgresProperties postgres, ClassLoader classLoader) {
        this.beanFactory = beanFactory;
        this.postgres = postgres;
        this.classLoader = classLoader;
    }

    StateStoreRegistry registry(Map<String, StateBackends.Choice> choices) {
        StateStoreRegistry registry = null;
        for (Map.Entry<String, StateBackends.Choice> entry : choices.entrySet()) {
            StateStore store = store(entry.getKey(), entry.getValue());
            registry = (registry == null) ? StateStoreRegistry.of(store) : registry.with(entry.getKey(), store);
        }
        if (registry == null) {
            throw new IllegalStateException("No default state store");
        }
        return registry;
    }

    private StateStore store(String name, StateBackends.Choice choice) {
        StateStore store = this.stores.get(choice.backend());
        if (store == null) {
            store = find(name, choice);
            this.stores.put(choice.backend(), store);
        }
        return store;
    }

    private StateStore find(String name, StateBackends.Choice choice) {
        String user = "The state store '" + name + "'";
        String beanName = switch (choice.backend()) {
            case MEMORY -> MEMORY;
            case REDIS -> {
                require(user, choice, "org.springframework.data.redis.connection.RedisConnectionFactory", "Spring Data Redis",
                        "org.springframework.boot:spring-boot-starter-data-redis", "");
                yield REDIS;
            }
            case POSTGRES -> {
                require(user, choice, "org.springframework.jdbc.core.simple.JdbcClient", "Spring JDBC",
                        "org.springframework.boot:spring-boot-starter-jdbc", "");
                require(user, choice, "org.springframework.boot.sql.init.dependency.DatabaseInitializationDependencyConfigurer",
                        "Spring Boot's SQL support", "org.springframework.boot:spring-boot-starter-jdbc", "");
                require(user, choice, "org.postgresql.Driver", "the PostgreSQL JDBC driver", "org.postgresql:postgresql", "");
                if (this.postgres.isInitializeSchema()) {
                    require(user, choice, "liquibase.Liquibase", "Liquibase, to create Quark's tables",
                            "org.liquibase:liquibase-core",
                            " (or set quark.postgres.initialize-schema=false and apply Quark's changelogs yourself)");
                }
                yield POSTGRES;
            }
        };
        if (!this.beanFactory.containsBean(beanName)) {
            throw new IllegalStateException(user + " uses " + choice.setting() + ", but there is no StateStore bean named '"
                    + beanName + "'");
        }
        return this.beanFactory.getBean(beanName, StateStore.class);
    }

    private void require(String user, StateBackends.Choice choice, String className, String library, String dependency,
            String alternative) {
        if (!ClassUtils.isPresent(className, this.classLoader)) {
            throw new MissingBackendDependencyException(user, choice.setting(), library, dependency, alternative);
        }
    }
}
