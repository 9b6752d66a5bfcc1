package dev.quark.messaging.state;

import dev.quark.eventsourcing.EventStore;
import dev.quark.eventsourcing.memory.InMemoryEventStore;
import dev.quark.messaging.store.OutboxStore;
import dev.quark.messaging.store.memory.InMemoryOutboxStore;

/**
 * Events and their outbox messages both in memory.
 */
class InMemoryEventOutboxTests extends EventOutboxTests {

    private final InMemoryEventStore events = new InMemoryEventStore();

    private final InMemoryOutboxStore messages = new InMemoryOutboxStore();

    @Override
    protected EventStore eventStore() {
        return this.events;
    }

    @Override
    protected OutboxStore outboxStore() {
        return this.messages;
    }
}
