package dev.quark.autoconfigure.eventsourcing;

import javax.sql.DataSource;

import dev.quark.autoconfigure.actors.QuarkActorsAutoConfiguration;
import dev.quark.autoconfigure.backend.ConditionalOnQuarkBackend;
import dev.quark.autoconfigure.backend.QuarkBackend;
import dev.quark.autoconfigure.backend.QuarkBackendAutoConfiguration;
import dev.quark.autoconfigure.backend.QuarkChangelog;
import dev.quark.autoconfigure.metrics.QuarkMetricsAutoConfiguration;
import dev.quark.autoconfigure.postgres.QuarkPostgresProperties;
import dev.quark.autoconfigure.redis.QuarkRedisProperties;
import dev.quark.eventsourcing.EventSourcingActivationHook;
import dev.quark.eventsourcing.EventStore;
import dev.quark.eventsourcing.EventStoreMetrics;
import dev.quark.eventsourcing.EventUpcaster;
import dev.quark.eventsourcing.MeteredEventStore;
import dev.quark.eventsourcing.jdbc.JdbcEventStore;
import dev.quark.eventsourcing.memory.InMemoryEventStore;
import dev.quark.eventsourcing.redis.RedisEventStore;
import tools.jackson.databind.json.JsonMapper;

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
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.data.redis.connection.RedisConnectionFactory;

/**
 * Auto-configuration of event sourcing: an {@link EventStore} on the backend {@code quark.eventstore.backend}
 * chooses (else {@code quark.backend}), reporting appends to the {@link EventStoreMetrics} bean when there is one,
 * and the {@link EventSourcingActivationHook} that rebuilds {@link dev.quark.eventsourcing.EventSourcedActor}s,
 * reading events through the application's {@link JsonMapper} and every {@link EventUpcaster} bean.
 * <p>
 * This is the {@value #AREA} area of the shared backend wiring: each store is {@link ConditionalOnQuarkBackend},
 * and on PostgreSQL the area contributes its {@link QuarkChangelog}.
 */
@AutoConfiguration(before = QuarkActorsAutoConfiguration.class,
        after = { QuarkBackendAutoConfiguration.class, QuarkMetricsAutoConfiguration.class },
        afterName = { "org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration",
                "org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration",
                "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration" })
@ConditionalOnBooleanProperty(name = "quark.enabled", matchIfMissing = true)
@ConditionalOnBooleanProperty(name = "quark.eventstore.enabled", matchIfMissing = true)
@EnableConfigurationProperties(QuarkEventStoreProperties.class)
public final class QuarkEventStoreAutoConfiguration {

    /** The area's name in the shared backend wiring. */
    static final String AREA = "eventstore";

    @Bean
    @ConditionalOnMissingBean
    @Order(Ordered.HIGHEST_PRECEDENCE + 200)
    EventSourcingActivationHook quarkEventSourcingActivationHook(EventStore store, ObjectProvider<JsonMapper> jsonMapper,
            ObjectProvider<EventUpcaster> upcasters, QuarkEventStoreProperties properties) {
        return new EventSourcingActivationHook(store, jsonMapper.getIfUnique(JsonMapper::shared),
                upcasters.orderedStream().toList(), properties.getSnapshotEvery());
    }

    private static EventStore metered(EventStore store, ObjectProvider<EventStoreMetrics> metrics) {
        return MeteredEventStore.of(store, metrics.getIfAvailable(() -> EventStoreMetrics.NONE));
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnQuarkBackend(area = AREA, backend = QuarkBackend.MEMORY)
    static class InMemoryEventStoreConfiguration {

        @Bean
        @ConditionalOnMissingBean(EventStore.class)
        EventStore quarkEventStore(ObjectProvider<EventStoreMetrics> metrics) {
            return metered(new InMemoryEventStore(), metrics);
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnQuarkBackend(area = AREA, backend = QuarkBackend.REDIS)
    static class RedisEventStoreConfiguration {

        @Bean
        @ConditionalOnMissingBean(EventStore.class)
        EventStore quarkEventStore(RedisConnectionFactory connectionFactory, QuarkRedisProperties redis,
                QuarkEventStoreProperties properties, ObjectProvider<EventStoreMetrics> metrics) {
            return metered(new RedisEventStore(connectionFactory, redis.getKeyPrefix(),
                    properties.getRedisTruncationBatch()), metrics);
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnQuarkBackend(area = AREA, backend = QuarkBackend.POSTGRES)
    @Import(DatabaseInitializationDependencyConfigurer.class)
    static class JdbcEventStoreConfiguration {

        @Bean
        @ConditionalOnMissingBean(EventStore.class)
        @DependsOnDatabaseInitialization
        EventStore quarkEventStore(DataSource dataSource, QuarkPostgresProperties postgres,
                ObjectProvider<EventStoreMetrics> metrics) {
            return metered(new JdbcEventStore(dataSource, postgres.tablePrefix()), metrics);
        }

        @Bean
        @ConditionalOnMissingBean(name = "quarkEventStoreChangelog")
        QuarkChangelog quarkEventStoreChangelog() {
            return new QuarkChangelog(AREA, JdbcEventStore.CHANGELOG);
        }
    }
}
