package dev.quark.autoconfigure.reminders;

import java.time.Clock;

import javax.sql.DataSource;

import dev.quark.autoconfigure.actors.QuarkActorsAutoConfiguration;
import dev.quark.autoconfigure.backend.ConditionalOnQuarkBackend;
import dev.quark.autoconfigure.backend.QuarkBackend;
import dev.quark.autoconfigure.backend.QuarkBackendAutoConfiguration;
import dev.quark.autoconfigure.backend.QuarkChangelog;
import dev.quark.autoconfigure.lease.QuarkLeasesAutoConfiguration;
import dev.quark.autoconfigure.metrics.QuarkMetricsAutoConfiguration;
import dev.quark.autoconfigure.postgres.QuarkPostgresProperties;
import dev.quark.autoconfigure.redis.QuarkRedisProperties;
import dev.quark.cluster.membership.SiloMembership;
import dev.quark.lease.LeaseStore;
import dev.quark.reminder.ReminderBucketOwnership;
import dev.quark.reminder.ReminderMetrics;
import dev.quark.reminder.ReminderRegistry;
import dev.quark.reminder.ReminderTable;
import dev.quark.reminder.ReminderTickManager;
import dev.quark.reminder.jdbc.JdbcReminderTable;
import dev.quark.reminder.memory.InMemoryReminderTable;
import dev.quark.reminder.redis.RedisReminderTable;
import dev.quark.runtime.ActorRuntime;

import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.ObjectProvider;
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
import org.springframework.core.env.Environment;
import org.springframework.data.redis.connection.RedisConnectionFactory;

/**
 * Auto-configuration of persistent reminders: a {@link ReminderTable} on the backend {@code quark.reminders.backend}
 * chooses (else {@code quark.backend}), the {@link ReminderRegistry} that the actor runtime gives actors their
 * reminders through, and the silo's {@link ReminderTickManager}, started and stopped with the context.
 * <p>
 * This is the {@value #AREA} area of the shared backend wiring: each table is {@link ConditionalOnQuarkBackend},
 * and on PostgreSQL the area contributes its {@link QuarkChangelog}. A {@link ReminderBucketOwnership} bean
 * replaces the single-silo default (every bucket), which is how the cluster plugs in; with the cluster on
 * ({@code quark.cluster.enabled}), the silo then holds its buckets through the leases of
 * {@link QuarkLeasesAutoConfiguration} (on the area's backend unless {@code quark.leases.backend} is set;
 * {@code quark.reminders.lease-duration}), so that silos whose views differ never fire one bucket both; a
 * {@link ReminderMetrics} bean records ticks ({@code QuarkMetricsAutoConfiguration} binds one to Micrometer).
 */
@AutoConfiguration(before = QuarkActorsAutoConfiguration.class,
        after = { QuarkBackendAutoConfiguration.class, QuarkLeasesAutoConfiguration.class,
                QuarkMetricsAutoConfiguration.class },
        afterName = { "org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration",
                "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration" })
@ConditionalOnBooleanProperty(name = "quark.enabled", matchIfMissing = true)
@ConditionalOnBooleanProperty(name = "quark.reminders.enabled", matchIfMissing = true)
@EnableConfigurationProperties(QuarkRemindersProperties.class)
@ImportRuntimeHints(QuarkRemindersRuntimeHints.class)
public final class QuarkRemindersAutoConfiguration {

    /** The area's name in the shared backend wiring. */
    static final String AREA = "reminders";

    @Bean
    @ConditionalOnMissingBean
    ReminderRegistry quarkReminderRegistry(ReminderTable table, ObjectProvider<Clock> clock,
            QuarkRemindersProperties properties) {
        return new ReminderRegistry(table, clock.getIfUnique(Clock::systemUTC), properties.maxPayloadBytes());
    }

    @Bean
    @ConditionalOnMissingBean
    ReminderTickManager quarkReminderTickManager(ReminderTable table, ActorRuntime runtime, ReminderRegistry registry,
            QuarkRemindersProperties properties, ObjectProvider<ReminderMetrics> metrics,
            ObjectProvider<ReminderBucketOwnership> ownership, ObjectProvider<SiloMembership> cluster,
            Environment environment, BeanFactory beanFactory) {
        ReminderTickManager.Builder builder = ReminderTickManager.builder(table, runtime)
            .registry(registry)
            .settings(properties.toSettings())
            .metrics(metrics.getIfAvailable(() -> ReminderMetrics.NONE));
        // ifAvailable, not ifUnique: two ownership beans must fail the start, never fall back to every bucket.
        ownership.ifAvailable(builder::ownership);
        SiloMembership agent = cluster.getIfUnique();
        if (ownership.getIfAvailable() != null && agent != null) {
            LeaseStore leases = QuarkLeasesAutoConfiguration.leaseStore(beanFactory, environment, AREA);
            builder.leases(leases, agent.settings().siloId(), properties.leaseDuration());
        }
        return builder.build();
    }

    @Bean
    @ConditionalOnMissingBean
    ReminderTickManagerLifecycle quarkReminderTickManagerLifecycle(ReminderTickManager manager) {
        return new ReminderTickManagerLifecycle(manager);
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnQuarkBackend(area = AREA, backend = QuarkBackend.MEMORY)
    static class InMemoryReminderTableConfiguration {

        @Bean
        @ConditionalOnMissingBean(ReminderTable.class)
        InMemoryReminderTable quarkReminderTable() {
            return new InMemoryReminderTable();
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnQuarkBackend(area = AREA, backend = QuarkBackend.REDIS)
    static class RedisReminderTableConfiguration {

        @Bean
        @ConditionalOnMissingBean(ReminderTable.class)
        RedisReminderTable quarkReminderTable(RedisConnectionFactory connectionFactory, QuarkRedisProperties redis,
                QuarkRemindersProperties properties) {
            return new RedisReminderTable(connectionFactory, redis.getKeyPrefix(), properties.redisReplyTimeout());
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnQuarkBackend(area = AREA, backend = QuarkBackend.POSTGRES)
    @Import(DatabaseInitializationDependencyConfigurer.class)
    static class JdbcReminderTableConfiguration {

        @Bean
        @ConditionalOnMissingBean(ReminderTable.class)
        @DependsOnDatabaseInitialization
        JdbcReminderTable quarkReminderTable(DataSource dataSource, QuarkPostgresProperties postgres) {
            return new JdbcReminderTable(dataSource, postgres.tablePrefix());
        }

        @Bean
        @ConditionalOnMissingBean(name = "quarkRemindersChangelog")
        QuarkChangelog quarkRemindersChangelog() {
            return new QuarkChangelog(AREA, JdbcReminderTable.CHANGELOG);
        }
    }
}
