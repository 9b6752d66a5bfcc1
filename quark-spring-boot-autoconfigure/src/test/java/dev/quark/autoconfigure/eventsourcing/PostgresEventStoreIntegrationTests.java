package dev.quark.autoconfigure.eventsourcing;

import java.util.List;

import dev.quark.actor.ActorRefFactory;
import dev.quark.autoconfigure.actors.QuarkActorsAutoConfiguration;
import dev.quark.autoconfigure.backend.QuarkBackendAutoConfiguration;
import dev.quark.autoconfigure.fixtures.ledger.Ledger;
import dev.quark.autoconfigure.fixtures.ledger.LedgerActor;
import dev.quark.eventsourcing.EventStore;
import dev.quark.eventsourcing.EventSubscription;
import dev.quark.eventsourcing.Snapshot;
import dev.quark.eventsourcing.StoredEvent;
import dev.quark.testkit.server.PostgresTestSchema;
import dev.quark.testkit.server.PostgresTestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurationPackage;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Event sourcing on a real PostgreSQL, as an application gets it through {@code quark.backend=postgres}: the
 * area's changelog creates the tables at start-up; an event-sourced actor survives the application's restart.
 */
class PostgresEventStoreIntegrationTests {

    private static PostgresTestSchema schema;

    @BeforeAll
    static void start() {
        schema();
    }

    @AfterAll
    static void stop() {
        if (schema != null) {
            schema.close();
        }
    }

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class, QuarkActorsAutoConfiguration.class,
                QuarkBackendAutoConfiguration.class, QuarkEventStoreAutoConfiguration.class))
        .withUserConfiguration(LedgerApplication.class)
        .withPropertyValues("quark.backend=postgres", "spring.datasource.url=" + schema().jdbcUrl(),
                "spring.datasource.hikari.maximum-pool-size=4", "quark.eventstore.snapshot-every=2");

    private static PostgresTestSchema schema() {
        if (schema == null) {
            schema = PostgresTestServer.get().createSchema(PostgresEventStoreIntegrationTests.class);
        }
        return schema;
    }

    @Test
    void anEventSourcedActorIsRebuiltFromPostgresAfterARestartAndItsEventsReachSubscriptions() {
        this.contextRunner.run((context) -> {
            Ledger ledger = context.getBean(ActorRefFactory.class).get(Ledger.class, "pg");
            ledger.credit(10);
            ledger.credit(20);
            ledger.credit(30);
        });
        this.contextRunner.run((context) -> {
            EventStore store = context.getBean(EventStore.class);
            assertThat(store.loadSnapshot("ledger/pg")).contains(new Snapshot(2, "{\"cents\":30}"));
            Ledger ledger = context.getBean(ActorRefFactory.class).get(Ledger.class, "pg");
            assertThat(ledger.balance()).isEqualTo(60);
            assertThat(ledger.credit(1)).isEqualTo(61);
            assertThat(ledger.balanceAt(1)).isEqualTo(10);
            List<String> seen = new java.util.ArrayList<>();
            EventSubscription subscription = new EventSubscription("ledger-test", store.feed().orElseThrow(),
                    (event) -> seen.add(event.stream() + "@" + event.version()));
            await().atMost(java.time.Duration.ofSeconds(30)).until(() -> {
                subscription.poll();
                return seen.size() == 4;
            });
            assertThat(seen).containsExactly("ledger/pg@1", "ledger/pg@2", "ledger/pg@3", "ledger/pg@4");
            assertThat(store.read("ledger/pg", 1, 10)).extracting(StoredEvent::type).containsOnly("Credited");
        });
    }

    @Configuration(proxyBeanMethods = false)
    @AutoConfigurationPackage(basePackageClasses = LedgerActor.class)
    static class LedgerApplication {

    }
}
