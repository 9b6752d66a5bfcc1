package dev.quark.autoconfigure.state;

import java.util.List;

import javax.sql.DataSource;

import dev.quark.autoconfigure.QuarkBackend;
import dev.quark.autoconfigure.QuarkProperties;
import dev.quark.autoconfigure.actors.QuarkActorsAutoConfiguration;
import dev.quark.autoconfigure.postgres.QuarkPostgresProperties;
import dev.quark.autoconfigure.postgres.QuarkSchemaInitializer;
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
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.sql.init.dependency.DatabaseInitializationDependencyConfigurer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.ImportRuntimeHints;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.data.redis.connection.RedisConnectionFactory;

/**
 * Auto-configuration of persistent actor state: a {@link StateStoreRegistry} with the default store and the
 * named stores of {@code quark.persistence.*}, each on the backend its properties choose, and the
 * {@link StateActivationHook} that loads {@link dev.quark.state.ActorState} fields into activations. States are
 * JSON through the application's {@link JsonMapper}.
 */
@AutoConfiguration(before = QuarkActorsAutoConfiguration.class,
        afterName = { "org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration",
                "org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration",
                "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration",
                "org.springframework.boot.liquibase.autoconfigure.LiquibaseAutoConfiguration" })
@ConditionalOnBooleanProperty(name = "quark.enabled", matchIfMissing = true)
@EnableConfigurationProperties({ QuarkProperties.class, QuarkPersistenceProperties.class, QuarkRedisProperties.class,
        QuarkPostgresProperties.class })
@ImportRuntimeHints(QuarkStateRuntimeHints.class)
public final class QuarkStateAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    StateSerializer quarkStateSerializer(ObjectProvider<JsonMapper> jsonMapper) {
        return new JsonStateSerializer(jsonMapper.getIfUnique(JsonMapper::shared));
    }

    @Bean
    @ConditionalOnMissingBean
    StateStoreRegistry quarkStateStores(QuarkProperties quark, QuarkPersistenceProperties persistence,
            QuarkPostgresProperties postgres, ConfigurableListableBeanFactory beanFactory) {
        ClassLoader classLoader = (beanFactory.getBeanClassLoader() != null) ? beanFactory.getBeanClassLoader()
                : getClass().getClassLoader();
        return new StateStoreBeans(beanFactory, postgres, classLoader)
            .registry(StateBackends.resolve(quark, persistence));
    }

    @Bean
    @ConditionalOnMissingBean
    @Order(Ordered.HIGHEST_PRECEDENCE + 100)
    StateActivationHook quarkStateActivationHook(StateStoreRegistry stores, StateSerializer serializer) {
        return new StateActivationHook(stores, serializer);
    }

    @Bean
    static ActorStateVerifier quarkActorStateVerifier(ObjectProvider<ActorRuntime> runtime,
            ObjectProvider<StateActivationHook> hook) {
        return new ActorStateVerifier(runtime, hook);
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnStateBackend(QuarkBackend.MEMORY)
    static class InMemoryStateStoreConfiguration {

        @Bean(StateStoreBeans.MEMORY)
        @ConditionalOnMissingBean(name = StateStoreBeans.MEMORY)
        InMemoryStateStore quarkInMemoryStateStore() {
            return new InMemoryStateStore();
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(RedisConnectionFactory.class)
    @ConditionalOnStateBackend(QuarkBackend.REDIS)
    static class RedisStateStoreConfiguration {

        @Bean(StateStoreBeans.REDIS)
        @ConditionalOnMissingBean(name = StateStoreBeans.REDIS)
        RedisStateStore quarkRedisStateStore(RedisConnectionFactory connectionFactory, QuarkRedisProperties redis) {
            return new RedisStateStore(connectionFactory, redis.getKeyPrefix());
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = { "org.springframework.jdbc.core.simple.JdbcClient", "org.postgresql.Driver",
            "org.springframework.boot.sql.init.dependency.DatabaseInitializationDependencyConfigurer" })
    @ConditionalOnStateBackend(QuarkBackend.POSTGRES)
    @Import(DatabaseInitializationDependencyConfigurer.class)
    static class JdbcStateStoreConfiguration {

        @Bean(StateStoreBeans.POSTGRES)
        @ConditionalOnMissingBean(name = StateStoreBeans.POSTGRES)
        JdbcStateStore quarkJdbcStateStore(DataSource dataSource, QuarkPostgresProperties postgres,
                ObjectProvider<QuarkSchemaInitializer> schema) {
            schema.ifAvailable((initializer) -> {
                // created, so applied, before the store is used
            });
            return new JdbcStateStore(dataSource, postgres.tablePrefix());
        }

        @Bean
        @ConditionalOnMissingBean(name = "quarkStateSchemaInitializer")
        @ConditionalOnClass(name = "liquibase.Liquibase")
        @ConditionalOnBooleanProperty(name = "quark.postgres.initialize-schema", matchIfMissing = true)
        QuarkSchemaInitializer quarkStateSchemaInitializer(DataSource dataSource, QuarkPostgresProperties postgres) {
            return new QuarkSchemaInitializer(dataSource, List.of(JdbcStateStore.migration(postgres.tablePrefix())));
        }
    }
}
