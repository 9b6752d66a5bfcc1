package dev.quark.autoconfigure.eventsourcing;

import java.util.List;

import javax.sql.DataSource;

import dev.quark.actor.ActorRefFactory;
import dev.quark.autoconfigure.actors.ActorRuntimeHints;
import dev.quark.autoconfigure.actors.QuarkActorsAutoConfiguration;
import dev.quark.autoconfigure.backend.MissingBackendDependencyException;
import dev.quark.autoconfigure.backend.QuarkBackendAutoConfiguration;
import dev.quark.autoconfigure.backend.QuarkChangelog;
import dev.quark.autoconfigure.fixtures.ledger.Ledger;
import dev.quark.autoconfigure.fixtures.ledger.LedgerActor;
import dev.quark.autoconfigure.fixtures.ledger.LedgerBalance;
import dev.quark.autoconfigure.fixtures.ledger.LedgerEvent;
import dev.quark.autoconfigure.metrics.MicrometerEventStoreMetrics;
import dev.quark.autoconfigure.metrics.QuarkMetricsAutoConfiguration;
import dev.quark.eventsourcing.EventSourcingActivationHook;
import dev.quark.eventsourcing.EventStore;
import dev.quark.eventsourcing.MeteredEventStore;
import dev.quark.eventsourcing.StoredEvent;
import dev.quark.eventsourcing.jdbc.JdbcEventStore;
import dev.quark.eventsourcing.memory.InMemoryEventStore;
import dev.quark.eventsourcing.redis.RedisEventStore;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import org.springframework.aot.hint.RuntimeHints;
import org.springframework.aot.hint.predicate.RuntimeHintsPredicates;
import org.springframework.boot.autoconfigure.AutoConfigurationPackage;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.jdbc.datasource.SimpleDriverDataSource;

import static org.assertj.core.api.Assertions.assertThat;

class QuarkEventStoreAutoConfigurationTests {

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(QuarkActorsAutoConfiguration.class, QuarkBackendAutoConfiguration.class,
                QuarkEventStoreAutoConfiguration.class))
        .withUserConfiguration(LedgerApplication.class);

    @Test
    void byDefaultStreamsLiveInMemoryAndEventSourcedActorsAreRebuiltFromThem() {
        this.contextRunner.run((context) -> {
            assertThat(context).hasSingleBean(EventStore.class).hasSingleBean(EventSourcingActivationHook.class);
            assertThat(context.getBean(EventStore.class)).isInstanceOf(InMemoryEventStore.class);
            Ledger ledger = context.getBean(ActorRefFactory.class).get(Ledger.class, "acme");
            ledger.credit(5);
            assertThat(ledger.credit(7)).isEqualTo(12);
            assertThat(ledger.balanceAt(1)).isEqualTo(5);
            List<StoredEvent> events = context.getBean(EventStore.class).read("ledger/acme", 1, 10);
            assertThat(events).extracting(StoredEvent::payload).containsExactly("{\"cents\":5}", "{\"cents\":7}");
            assertThat(events).extracting(StoredEvent::type).containsOnly("Credited");
        });
    }

    @Test
    void theAreaFollowsQuarkBackendAndItsOwnProperty() {
        this.contextRunner.withPropertyValues("quark.backend=postgres", "quark.postgres.initialize-schema=false")
            .withBean(DataSource.class, SimpleDriverDataSource::new)
            .run((context) -> {
                assertThat(context.getBean(EventStore.class)).isInstanceOf(JdbcEventStore.class);
                assertThat(context.getBean("quarkEventStoreChangelog", QuarkChangelog.class))
                    .isEqualTo(new QuarkChangelog("eventstore", "db/changelog/quark/eventstore.xml"));
            });
        this.contextRunner.withPropertyValues("quark.backend=postgres", "quark.eventstore.backend=memory")
            .run((context) -> assertThat(context.getBean(EventStore.class)).isInstanceOf(InMemoryEventStore.class));
        this.contextRunner.withPropertyValues("quark.eventstore.backend=redis")
            .withBean(RedisConnectionFactory.class, LettuceConnectionFactory::new)
            .run((context) -> assertThat(context.getBean(EventStore.class)).isInstanceOf(RedisEventStore.class));
    }

    @Test
    void theRedisTruncationBatchIsConfigurable() {
        this.contextRunner.withPropertyValues("quark.eventstore.backend=redis", "quark.eventstore.redis-truncation-batch=250")
            .withBean(RedisConnectionFactory.class, LettuceConnectionFactory::new)
            .run((context) -> assertThat(context.getBean(EventStore.class)).isInstanceOfSatisfying(RedisEventStore.class,
                    (store) -> assertThat(store.truncationBatch()).isEqualTo(250)));
        this.contextRunner.withPropertyValues("quark.eventstore.redis-truncation-batch=0")
            .run((context) -> assertThat(context).getFailure()
                .rootCause()
                .isInstanceOf(InvalidConfigurationPropertyValueException.class)
                .hasMessageContaining("quark.eventstore.redis-truncation-batch")
                .hasMessageContaining("must be 1 to 10000"));
    }

    @Test
    void redisWithoutSpringDataRedisFailsStartupNamingTheStarter() {
        this.contextRunner.withPropertyValues("quark.eventstore.backend=redis")
            .withClassLoader(new FilteredClassLoader(RedisConnectionFactory.class))
            .run((context) -> assertThat(context).getFailure()
                .rootCause()
                .isInstanceOf(MissingBackendDependencyException.class)
                .hasMessageContaining("quark.eventstore.backend=redis")
                .hasMessageContaining("spring-boot-starter-data-redis"));
    }

    @Test
    void aBadBackendOrSnapshotIntervalFailsStartupNamingTheProperty() {
        this.contextRunner.withPropertyValues("quark.eventstore.backend=cassandra")
            .run((context) -> assertThat(context).getFailure()
                .rootCause()
                .isInstanceOf(InvalidConfigurationPropertyValueException.class)
                .hasMessageContaining("quark.eventstore.backend with value 'cassandra' is invalid"));
        this.contextRunner.withPropertyValues("quark.eventstore.snapshot-every=0")
            .run((context) -> assertThat(context).getFailure()
                .rootCause()
                .isInstanceOf(InvalidConfigurationPropertyValueException.class)
                .hasMessageContaining("quark.eventstore.snapshot-every")
                .hasMessageContaining("must be at least 1"));
    }

    @Test
    void thePropertiesDefaultsAreTheLibrarys() {
        assertThat(new QuarkEventStoreProperties().getSnapshotEvery())
            .isEqualTo(EventSourcingActivationHook.DEFAULT_SNAPSHOT_EVERY);
        assertThat(new QuarkEventStoreProperties().getRedisTruncationBatch())
            .isEqualTo(RedisEventStore.DEFAULT_TRUNCATION_BATCH);
    }

    @Test
    void disabledMeansNoStoreAndNoHook() {
        this.contextRunner.withPropertyValues("quark.eventstore.enabled=false")
            .run((context) -> assertThat(context).doesNotHaveBean(EventStore.class)
                .doesNotHaveBean(EventSourcingActivationHook.class));
    }

    @Test
    void aUserStoreReplacesQuarks() {
        InMemoryEventStore own = new InMemoryEventStore();
        this.contextRunner.withBean(EventStore.class, () -> own).run((context) -> {
            assertThat(context.getBean(EventStore.class)).isSameAs(own);
            context.getBean(ActorRefFactory.class).get(Ledger.class, "own").credit(3);
            assertThat(own.version("ledger/own")).isEqualTo(1);
        });
    }

    @Test
    void appendsAreCountedInMicrometer() {
        this.contextRunner
            .withConfiguration(AutoConfigurations.of(MetricsAutoConfiguration.class, QuarkMetricsAutoConfiguration.class))
            .withBean(MeterRegistry.class, SimpleMeterRegistry::new)
            .run((context) -> {
                assertThat(context.getBean(EventStore.class)).isInstanceOf(MeteredEventStore.class);
                Ledger ledger = context.getBean(ActorRefFactory.class).get(Ledger.class, "metered");
                ledger.credit(1);
                ledger.credit(2);
                MeterRegistry registry = context.getBean(MeterRegistry.class);
                assertThat(registry.get(MicrometerEventStoreMetrics.APPENDS).tag("outcome", "appended").counter().count())
                    .isEqualTo(2);
                assertThat(registry.get(MicrometerEventStoreMetrics.APPENDS).tag("outcome", "conflict").counter().count())
                    .isZero();
                assertThat(registry.get(MicrometerEventStoreMetrics.EVENTS).counter().count()).isEqualTo(2);
            });
    }

    @Test
    void eventSourcedActorsGetBindingHintsForTheirStateAndEvents() {
        RuntimeHints hints = new RuntimeHints();
        ActorRuntimeHints.registerActor(hints, LedgerActor.class);
        assertThat(RuntimeHintsPredicates.reflection().onType(LedgerBalance.class)).accepts(hints);
        assertThat(RuntimeHintsPredicates.reflection().onType(LedgerEvent.Credited.class)).accepts(hints);
        assertThat(RuntimeHintsPredicates.reflection().onMethodInvocation(LedgerEvent.Credited.class, "cents"))
            .accepts(hints);
    }

    @Configuration(proxyBeanMethods = false)
    @AutoConfigurationPackage(basePackageClasses = LedgerActor.class)
    static class LedgerApplication {

    }
}
