package dev.quark.autoconfigure.durabletasks;

import java.time.Clock;

import javax.sql.DataSource;

import dev.quark.autoconfigure.backend.ConditionalOnQuarkBackend;
import dev.quark.autoconfigure.backend.QuarkBackend;
import dev.quark.autoconfigure.backend.QuarkBackendAutoConfiguration;
import dev.quark.autoconfigure.backend.QuarkChangelog;
import dev.quark.autoconfigure.lease.QuarkLeasesAutoConfiguration;
import dev.quark.autoconfigure.postgres.PostgresNotificationsSetup;
import dev.quark.autoconfigure.postgres.QuarkPostgresProperties;
import dev.quark.autoconfigure.redis.QuarkRedisProperties;
import dev.quark.durabletasks.DurableTaskRegistry;
import dev.quark.durabletasks.client.InstanceUpdates;
import dev.quark.durabletasks.payload.JacksonPayloadConverter;
import dev.quark.durabletasks.payload.PayloadConverter;
import dev.quark.durabletasks.store.DurableTaskStore;
import dev.quark.durabletasks.store.jdbc.JdbcDurableTaskStore;
import dev.quark.durabletasks.store.memory.InMemoryDurableTaskStore;
import dev.quark.durabletasks.store.redis.RedisDurableTaskStore;
import dev.quark.jdbc.PostgresNotificationSender;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.sql.init.dependency.DatabaseInitializationDependencyConfigurer;
import org.springframework.boot.sql.init.dependency.DependsOnDatabaseInitialization;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.data.redis.connection.RedisConnectionFactory;

/**
 * Auto-configuration of durable tasks: the {@link DurableTaskStore} and lease store of the area's backend
 * ({@code quark.durabletasks.backend}, else {@code quark.backend}) and a {@link DurableTaskRegistry} of the
 * application's {@code Orchestration} beans (prototypes) and {@code Activity} beans; the worker and the client come
 * from {@link QuarkDurableTasksWorkerAutoConfiguration}. Payloads are JSON through the application's
 * {@link JsonMapper}; time comes from the application's {@link Clock} bean, if it has exactly one.
 * <p>
 * This is the {@value DurableTaskBeans#AREA} area of the shared backend wiring; it claims its work with the lease
 * store of {@link QuarkLeasesAutoConfiguration}, and on PostgreSQL contributes its changelog. On Redis the store keeps
 * its keys under {@code quark.redis.key-prefix}.
 */
@AutoConfiguration(after = { QuarkBackendAutoConfiguration.class, QuarkLeasesAutoConfiguration.class },
        afterName = { "org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration",
                "org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration",
                "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration" })
@ConditionalOnClass(DurableTaskStore.class)
@ConditionalOnBooleanProperty(name = "quark.enabled", matchIfMissing = true)
@EnableConfigurationProperties(QuarkDurableTasksProperties.class)
public final class QuarkDurableTasksAutoConfiguration {

    private static final String AREA = DurableTaskBeans.AREA;

    @Bean
    @ConditionalOnMissingBean
    PayloadConverter quarkDurableTaskPayloadConverter(ObjectProvider<JsonMapper> jsonMapper) {
        return new JacksonPayloadConverter(jsonMapper.getIfUnique(JsonMapper::shared));
    }

    @Bean
    @ConditionalOnMissingBean
    DurableTaskRegistry quarkDurableTaskRegistry(ConfigurableListableBeanFactory beanFactory,
            PayloadConverter converter) {
        return DurableTaskBeans.registry(beanFactory, converter);
    }

    @Bean
    @ConditionalOnMissingBean
    InstanceUpdates quarkDurableTaskInstanceUpdates() {
        return new InstanceUpdates();
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnQuarkBackend(area = AREA, backend = QuarkBackend.MEMORY)
    static class InMemoryDurableTasksConfiguration {

        @Bean("quarkInMemoryDurableTaskStore")
        @ConditionalOnMissingBean(DurableTaskStore.class)
        InMemoryDurableTaskStore quarkInMemoryDurableTaskStore() {
            return new InMemoryDurableTaskStore();
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnQuarkBackend(area = AREA, backend = QuarkBackend.POSTGRES)
    @Import(DatabaseInitializationDependencyConfigurer.class)
    static class JdbcDurableTasksConfiguration {

        static final String NOTIFY_ENABLED = "quark.durabletasks.postgres.notify-enabled";

        @Bean("quarkJdbcDurableTaskStore")
        @ConditionalOnMissingBean(DurableTaskStore.class)
        @DependsOnDatabaseInitialization
        JdbcDurableTaskStore quarkJdbcDurableTaskStore(DataSource dataSource, QuarkPostgresProperties postgres,
                QuarkDurableTasksProperties properties, ObjectProvider<PostgresNotificationSender> notifications,
                ObjectProvider<Clock> clock) {
            return new JdbcDurableTaskStore(dataSource, postgres.tablePrefix(),
                    properties.getPostgres().isNotifyEnabled()
                            ? PostgresNotificationsSetup.sender(notifications, "quark.durabletasks.postgres.notify-enabled")
                            : null, clock.getIfUnique(Clock::systemUTC));
        }

        /**
         * The node's sender of PostgreSQL notifications, after commit on a connection it borrows per batch (shared
         * with the jobs' when they notify too); it keeps none. (The warning about a small pool comes when the
         * shared listener opens, {@code QuarkPostgresNotificationsAutoConfiguration}.)
         */
        @Bean
        @ConditionalOnMissingBean(PostgresNotificationSender.class)
        @ConditionalOnClass(name = "org.postgresql.PGConnection")
        @ConditionalOnBooleanProperty(name = NOTIFY_ENABLED, matchIfMissing = true)
        PostgresNotificationSender quarkPostgresNotificationSender(DataSource dataSource) {
            return new PostgresNotificationSender(dataSource, "quark");
        }

        @Bean
        @ConditionalOnMissingBean(name = "quarkDurableTasksChangelog")
        QuarkChangelog quarkDurableTasksChangelog() {
            return new QuarkChangelog(AREA, JdbcDurableTaskStore.CHANGELOG);
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnQuarkBackend(area = AREA, backend = QuarkBackend.REDIS)
    static class RedisDurableTasksConfiguration {

        @Bean("quarkRedisDurableTaskStore")
        @ConditionalOnMissingBean(DurableTaskStore.class)
        RedisDurableTaskStore quarkRedisDurableTaskStore(RedisConnectionFactory connectionFactory,
                QuarkRedisProperties redis, QuarkDurableTasksProperties properties, ObjectProvider<Clock> clock) {
            return new RedisDurableTaskStore(connectionFactory, redis.getKeyPrefix(),
                    properties.getRedis().isNotifyEnabled(), clock.getIfUnique(Clock::systemUTC));
        }
    }
}
