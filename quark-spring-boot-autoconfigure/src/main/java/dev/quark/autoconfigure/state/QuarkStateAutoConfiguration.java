package dev.quark.autoconfigure.state;

import javax.sql.DataSource;

import dev.quark.autoconfigure.actors.QuarkActorsAutoConfiguration;
import dev.quark.autoconfigure.backend.ConditionalOnQuarkBackend;
import dev.quark.autoconfigure.backend.QuarkBackend;
import dev.quark.autoconfigure.backend.QuarkBackendAutoConfiguration;
import dev.quark.autoconfigure.backend.QuarkBackendResolver;
import dev.quark.autoconfigure.backend.QuarkChangelog;
import dev.quark.autoconfigure.postgres.QuarkPostgresProperties;
import dev.quark.autoconfigure.redis.QuarkRedisProperties;
import dev.quark.runtime.ActorRuntime;
import dev.quark.state.JsonStateSerializer;
import dev.quark.state.StateActivationHook;
import dev.quark.state.StateSerializer;
import dev.quark.state.StateStoreRegistry;
import dev.quark.state.jdbc.JdbcStateStore;
import dev.quark.state.memory.InMemoryStateStore;
import dev.quark.state.redis.RedisStateStore;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.sql.init.dependency.DatabaseInitializationDependencyConfigurer;
import org.springframework.boot.sql.init.dependency.DependsOnDatabaseInitialization;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.ImportRuntimeHints;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.core.env.Environment;
import org.springframework.data.redis.connection.RedisConnectionFactory;

/**
 * Auto-configuration of persistent actor state: a {@link StateStoreRegistry} with the default store and the
 * named stores of {@code quark.persistence.*}, each on the backend its properties choose, and the
 * {@link StateActivationHook} that loads {@link dev.quark.state.ActorState} fields into activations. States are
 * JSON through the application's {@link JsonMapper}.
 * <p>
 * This is the {@value QuarkBackendResolver#STATE} area of the shared backend wiring: each backend's store is
 * {@link ConditionalOnQuarkBackend}, and on PostgreSQL the area contributes its {@link QuarkChangelog}.
 */
@AutoConfiguration(before = QuarkActorsAutoConfiguration.class, after = QuarkBackendAutoConfiguration.class,
        afterName = { "org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration",
                "org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration",
                "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration" })
@ConditionalOnBooleanProperty(name = "quark.enabled", matchIfMissing = true)
@EnableConfigurationProperties(QuarkPersistenceProperties.class)
@ImportRuntimeHints(QuarkStateRuntimeHints.class)
public final class QuarkStateAutoConfiguration {

    private static final String AREA = QuarkBackendResolver.STATE;

    @Bean
    @ConditionalOnMissingBean
    StateSerializer quarkStateSerializer(ObjectProvider<JsonMapper> jsonMapper) {
        return new JsonStateSerializer(jsonMapper.getIfUnique(JsonMapper::shared));
    }

    @Bean
    @ConditionalOnMissingBean
    StateStoreRegistry quarkStateStores(QuarkPersistenceProperties persistence, Environment environment,
            ConfigurableListableBeanFactory beanFactory) {
        return new StateStoreBeans(beanFactory).registry(new QuarkBackendResolver(environment), persistence);
    }

    @Bean
    @ConditionalOnMissingBean
    @Order(Ordered.HIGHEST_PRECEDENCE + 100)
    StateActivationHook quarkStateActivationHook(StateStoreRegistry stores, StateSerializer serializer) {
        return new StateActivationHook(stores, serializer);
    }

    @Bean
    @ConditionalOnMissingBean(name = "quarkActorStateVerifier")
    static ActorStateVerifier quarkActorStateVerifier(ObjectProvider<ActorRuntime> runtime,
            ObjectProvider<StateActivationHook> hook) {
        return new ActorStateVerifier(runtime, hook);
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnQuarkBackend(area = AREA, backend = QuarkBackend.MEMORY)
    static class InMemoryStateStoreConfiguration {

        @Bean(StateStoreBeans.MEMORY)
        @ConditionalOnMissingBean(name = StateStoreBeans.MEMORY)
        InMemoryStateStore quarkInMemoryStateStore() {
            return new InMemoryStateStore();
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnQuarkBackend(area = AREA, backend = QuarkBackend.REDIS)
    static class RedisStateStoreConfiguration {

        @Bean(StateStoreBeans.REDIS)
        @ConditionalOnMissingBean(name = StateStoreBeans.REDIS)
        RedisStateStore quarkRedisStateStore(RedisConnectionFactory connectionFactory, QuarkRedisProperties redis) {
            return new RedisStateStore(connectionFactory, redis.getKeyPrefix());
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnQuarkBackend(area = AREA, backend = QuarkBackend.POSTGRES)
    @Import(DatabaseInitializationDependencyConfigurer.class)
    static class JdbcStateStoreConfiguration {

        @Bean(StateStoreBeans.POSTGRES)
        @ConditionalOnMissingBean(name = StateStoreBeans.POSTGRES)
        @DependsOnDatabaseInitialization
        JdbcStateStore quarkJdbcStateStore(DataSource dataSource, QuarkPostgresProperties postgres) {
            return new JdbcStateStore(dataSource, postgres.tablePrefix());
        }

        @Bean
        @ConditionalOnMissingBean(name = "quarkStateChangelog")
        QuarkChangelog quarkStateChangelog() {
            return new QuarkChangelog(AREA, JdbcStateStore.CHANGELOG);
        }
    }
}
