package dev.quark.eventsourcing.memory;

import dev.quark.eventsourcing.EventStore;
import dev.quark.testkit.eventsourcing.EventFeedContractTests;
import dev.quark.testkit.eventsourcing.EventStoreContractTests;
import org.junit.jupiter.api.Nested;

class InMemoryEventStoreTests extends EventStoreContractTests {

    private final InMemoryEventStore store = new InMemoryEventStore();

    @Override
    protected EventStore store() {
        return this.store;
    }

    @Override
    protected void deleteSnapshotByHand(String stream) {
        this.store.deleteSnapshot(stream);
    }

    @Nested
    class Feed extends EventFeedContractTests {

        @Override
        protected EventStore store() {
            return InMemoryEventStoreTests.this.store;
        }
    }
}
