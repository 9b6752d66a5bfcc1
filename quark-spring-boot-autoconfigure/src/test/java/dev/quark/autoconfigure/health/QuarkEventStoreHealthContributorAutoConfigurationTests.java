package dev.quark.autoconfigure.health;

import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import dev.quark.autoconfigure.actors.QuarkActorsAutoConfiguration;
import dev.quark.autoconfigure.backend.QuarkBackendAutoConfiguration;
import dev.quark.autoconfigure.eventsourcing.QuarkEventStoreAutoConfiguration;
import dev.quark.eventsourcing.AppendResult;
import dev.quark.eventsourcing.EventStore;
import dev.quark.eventsourcing.NewEvent;
import dev.quark.eventsourcing.Snapshot;
import dev.quark.eventsourcing.StoredEvent;

import static org.assertj.core.api.Assertions.assertThat;

class QuarkEventStoreHealthContributorAutoConfigurationTests {

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(QuarkActorsAutoConfiguration.class, QuarkBackendAutoConfiguration.class,
                QuarkEventStoreAutoConfiguration.class, QuarkEventStoreHealthContributorAutoConfiguration.class));

    @Test
    void theEventStoreIsUpWhenItAnswersNamingItAndItsFeed() {
        this.contextRunner.run((context) -> {
            Health health = context.getBean("quarkEventStoreHealthIndicator", EventStoreHealthIndicator.class).health();
            assertThat(health.getStatus()).isEqualTo(Status.UP);
            assertThat(health.getDetails()).containsEntry("globalFeed", true);
            assertThat(health.getDetails().get("store").toString()).startsWith("InMemoryEventStore");
        });
    }

    @Test
    void aStoreThatDoesNotAnswerIsDownWithItsError() {
        Health health = new EventStoreHealthIndicator(new UnreachableEventStore()).health();
        assertThat(health.getStatus()).isEqualTo(Status.DOWN);
        assertThat(health.getDetails().get("error").toString()).contains("Connection refused: 127.0.0.1:5432");
        assertThat(health.getDetails()).containsEntry("store", "UnreachableEventStore");
    }

    @Test
    void canBeDisabled() {
        this.contextRunner.withPropertyValues("management.health.quark-event-store.enabled=false")
            .run((context) -> assertThat(context).doesNotHaveBean("quarkEventStoreHealthIndicator"));
    }

    @Test
    void notCreatedWithoutAnEventStore() {
        this.contextRunner.withPropertyValues("quark.eventstore.enabled=false")
            .run((context) -> assertThat(context).doesNotHaveBean("quarkEventStoreHealthIndicator"));
    }

    private static final class UnreachableEventStore implements EventStore {

        @Override
        public AppendResult append(String stream, List<NewEvent> events, long expectedVersion) {
            throw unreachable();
        }

        @Override
        public List<StoredEvent> read(String stream, long fromVersion, int limit) {
            throw unreachable();
        }

        @Override
        public long version(String stream) {
            throw unreachable();
        }

        @Override
        public void saveSnapshot(String stream, Snapshot snapshot) {
            throw unreachable();
        }

        @Override
        public Optional<Snapshot> loadSnapshot(String stream) {
            throw unreachable();
        }

        private static IllegalStateException unreachable() {
            return new IllegalStateException("Connection refused: 127.0.0.1:5432");
        }

        @Override
        public String toString() {
            return "UnreachableEventStore";
        }
    }
}
