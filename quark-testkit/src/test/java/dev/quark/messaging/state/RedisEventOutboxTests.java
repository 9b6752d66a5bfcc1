package dev.quark.messaging.state;

import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

import dev.quark.eventsourcing.AppendResult;
import dev.quark.eventsourcing.ConcurrencyException;
import dev.quark.eventsourcing.EventStore;
import dev.quark.eventsourcing.NewEvent;
import dev.quark.eventsourcing.redis.RedisEventStore;
import dev.quark.messaging.runtime.DefaultStateOutbox;
import dev.quark.messaging.store.OutboxStore;
import dev.quark.messaging.store.memory.InMemoryOutboxStore;
import dev.quark.messaging.store.redis.RedisOutboxStore;
import dev.quark.state.StateWriteAttachment;
import dev.quark.testkit.server.RedisTestConnections;
import dev.quark.testkit.server.RedisTestServer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Events in Redis Streams and their outbox messages written by one Lua script: both, or neither.
 */
class RedisEventOutboxTests extends EventOutboxTests {

    private static LettuceConnectionFactory connectionFactory;

    private static String prefix;

    private static RedisEventStore events;

    private static RedisOutboxStore messages;

    @BeforeAll
    static void connect() {
        RedisTestServer server = RedisTestServer.get();
        prefix = server.uniqueKeyPrefix(RedisEventOutboxTests.class);
        connectionFactory = RedisTestConnections.connect(server);
        events = new RedisEventStore(connectionFactory, prefix);
        messages = new RedisOutboxStore(connectionFactory, prefix);
    }

    @AfterAll
    static void disconnect() {
        if (prefix != null) {
            RedisTestServer.get().deleteKeys(prefix);
        }
        if (connectionFactory != null) {
            connectionFactory.destroy();
        }
    }

    @Override
    protected EventStore eventStore() {
        return events;
    }

    @Override
    protected OutboxStore outboxStore() {
        return messages;
    }

    @Test
    void anAttachmentWithNoMessagesAppendsAsNoAttachmentDoes() {
        String stream = "Wallet/" + walletId();
        StateWriteAttachment empty = stateOutbox().withMessages((outbox) -> {
        });
        long sequence = messages.lastSequence();
        NewEvent event = event();
        assertThat(events.append(stream, List.of(event), 0, empty)).isEqualTo(new AppendResult(1, false));
        assertThat(events.append(stream, List.of(event), 0, empty)).isEqualTo(new AppendResult(1, true));
        assertThatExceptionOfType(ConcurrencyException.class)
            .isThrownBy(() -> events.append(stream, List.of(event()), 0, empty));
        assertThat(events.append(stream, List.of(event()), 1, empty)).isEqualTo(new AppendResult(2, false));
        assertThat(events.read(stream, 1, 10)).hasSize(2);
        assertThat(messages.lastSequence()).as("no message appended").isEqualTo(sequence);
    }

    @Test
    void aDuplicateAppendWritesNoSecondMessage() {
        String stream = "Wallet/" + walletId();
        NewEvent event = event();
        events.append(stream, List.of(event), 0,
                stateOutbox().withMessages((outbox) -> this.enqueued.add(outbox.enqueue("ledger", "w", "first"))));
        assertThat(events.append(stream, List.of(event), 0,
                stateOutbox().withMessages((outbox) -> this.enqueued.add(outbox.enqueue("ledger", "w", "retry"))))
            .duplicate()).isTrue();
        assertThat(messages.find(this.enqueued.get(0))).isPresent();
        assertThat(messages.find(this.enqueued.get(1))).isEmpty();
    }

    @Test
    void anInMemoryOutboxIsRefusedForEventsKeptInRedis() {
        String stream = "Wallet/" + walletId();
        InMemoryOutboxStore inMemory = new InMemoryOutboxStore();
        StateWriteAttachment attachment = new DefaultStateOutbox(outbox(inMemory))
            .withMessages((outbox) -> this.enqueued.add(outbox.enqueue("ledger", "w", "opened")));
        assertThatExceptionOfType(UnsupportedOperationException.class)
            .isThrownBy(() -> events.append(stream, List.of(event()), 0, attachment))
            .withMessageContaining("RedisEventStore");
        assertThat(events.version(stream)).isZero();
        assertThat(inMemory.find(this.enqueued.getFirst())).isEmpty();
    }

    private static NewEvent event() {
        return new NewEvent(UUID.randomUUID(), "Deposited", 1, "{\"cents\":1}");
    }
}
