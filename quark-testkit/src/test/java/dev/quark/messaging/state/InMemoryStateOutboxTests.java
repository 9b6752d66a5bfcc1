package dev.quark.messaging.state;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import tools.jackson.databind.json.JsonMapper;

import dev.quark.lease.FencingToken;
import dev.quark.messaging.Destinations;
import dev.quark.messaging.MessageId;
import dev.quark.messaging.MessagePublisher;
import dev.quark.messaging.runtime.DefaultOutbox;
import dev.quark.messaging.runtime.DefaultStateOutbox;
import dev.quark.messaging.runtime.MessageCodec;
import dev.quark.messaging.runtime.Partitioner;
import dev.quark.messaging.store.MessageStatus;
import dev.quark.messaging.store.NewMessage;
import dev.quark.messaging.store.OutboxStore;
import dev.quark.messaging.store.StoredMessage;
import dev.quark.messaging.store.memory.InMemoryOutboxStore;
import dev.quark.state.ConcurrencyException;
import dev.quark.state.PersistentState;
import dev.quark.state.StateStoreException;
import dev.quark.state.memory.InMemoryStateStore;
import dev.quark.state.redis.RedisStateStore;
import dev.quark.testkit.server.RedisTestConnections;
import dev.quark.testkit.server.RedisTestServer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * An actor's state and its outbox messages both in memory; and the pairings that would lose messages a restart keeps
 * the state of, refused before anything is written.
 */
class InMemoryStateOutboxTests {

    private static LettuceConnectionFactory connectionFactory;

    private static String prefix;

    @BeforeAll
    static void connect() {
        RedisTestServer server = RedisTestServer.get();
        prefix = server.uniqueKeyPrefix(InMemoryStateOutboxTests.class);
        connectionFactory = RedisTestConnections.connect(server);
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

    @Test
    void aStateInMemoryIsSavedWithItsMessagesAndAStaleVersionWritesNeither() {
        InMemoryStateStore states = new InMemoryStateStore();
        InMemoryOutboxStore messages = new InMemoryOutboxStore();
        StateOutbox stateOutbox = new DefaultStateOutbox(outbox(messages));
        PersistentState<Long> balance = RedisStateOutboxTests.balance(states, "alice");
        balance.set(70L);
        List<MessageId> ids = stateOutbox.save(balance, (outbox) -> outbox.enqueue("ledger", "alice", "withdrawn 30"));
        assertThat(RedisStateOutboxTests.balance(states, "alice").get()).isEqualTo(70L);
        assertThat(messages.find(ids.getFirst()).orElseThrow().status()).isEqualTo(MessageStatus.PENDING);

        PersistentState<Long> stale = RedisStateOutboxTests.balance(states, "alice");
        PersistentState<Long> theirs = RedisStateOutboxTests.balance(states, "alice");
        theirs.set(5L);
        theirs.save();
        stale.set(10L);
        List<MessageId> refused = new ArrayList<>();
        assertThatExceptionOfType(ConcurrencyException.class).isThrownBy(() -> stateOutbox.save(stale,
                (outbox) -> refused.add(outbox.enqueue("ledger", "alice", "deposited 10"))));
        assertThat(messages.find(refused.getFirst())).isEmpty();
    }

    @Test
    void anAttachmentWithAMessageEnqueuedAlreadyLeavesTheStateAndItsOtherMessagesUnwritten() {
        InMemoryStateStore states = new InMemoryStateStore();
        InMemoryOutboxStore messages = new InMemoryOutboxStore();
        NewMessage enqueuedAlready = message();
        messages.append(enqueuedAlready);
        NewMessage fresh = message();
        PersistentState<Long> balance = RedisStateOutboxTests.balance(states, "dave");
        balance.set(70L);
        assertThatExceptionOfType(StateStoreException.class)
            .isThrownBy(() -> balance.save(messages.appendWithState(List.of(fresh, enqueuedAlready))))
            .withRootCauseInstanceOf(IllegalArgumentException.class)
            .withMessageContaining("Message " + enqueuedAlready.id() + " was enqueued already");
        assertThat(RedisStateOutboxTests.balance(states, "dave").exists()).isFalse();
        assertThat(messages.find(fresh.id())).isEmpty();
        PersistentState<Long> again = RedisStateOutboxTests.balance(states, "dave");
        again.set(70L);
        again.save(messages.appendWithState(List.of(fresh)));
        assertThat(RedisStateOutboxTests.balance(states, "dave").get()).isEqualTo(70L);
        assertThat(messages.find(fresh.id())).isPresent();
    }

    private static NewMessage message() {
        return new NewMessage(MessageId.next(Clock.systemUTC()), "ledger", "k", 3, "java.lang.String", "\"x\"",
                Map.of(), Instant.now());
    }

    @Test
    void anInMemoryOutboxWithAStateInRedisIsRefusedBeforeAnythingIsWritten() {
        RedisStateStore states = new RedisStateStore(connectionFactory, prefix);
        InMemoryOutboxStore messages = new InMemoryOutboxStore();
        StateOutbox stateOutbox = new DefaultStateOutbox(outbox(messages));
        PersistentState<Long> balance = RedisStateOutboxTests.balance(states, "bob");
        balance.set(70L);
        List<MessageId> enqueued = new ArrayList<>();
        assertThatExceptionOfType(UnsupportedOperationException.class)
            .isThrownBy(() -> stateOutbox.save(balance,
                    (outbox) -> enqueued.add(outbox.enqueue("ledger", "bob", "withdrawn 30"))))
            .withMessageContaining("cannot write 1 in-memory outbox messages");
        assertThat(RedisStateOutboxTests.balance(states, "bob").exists()).isFalse();
        assertThat(messages.find(enqueued.getFirst())).isEmpty();
    }

    @Test
    void anOutboxStoreThatCannotRideAlongASaveIsRefusedBeforeAnythingIsWritten() {
        InMemoryStateStore states = new InMemoryStateStore();
        InMemoryOutboxStore inner = new InMemoryOutboxStore();
        OutboxStore wrapper = new ForwardingOutboxStore(inner);
        StateOutbox stateOutbox = new DefaultStateOutbox(outbox(wrapper));
        PersistentState<Long> balance = RedisStateOutboxTests.balance(states, "carol");
        balance.set(70L);
        assertThatExceptionOfType(UnsupportedOperationException.class)
            .isThrownBy(() -> stateOutbox.save(balance, (outbox) -> outbox.enqueue("ledger", "carol", "x")))
            .withMessageContaining("cannot append messages with a state's save");
        assertThat(RedisStateOutboxTests.balance(states, "carol").exists()).isFalse();
        assertThat(inner.count(MessageStatus.PENDING)).isZero();
    }

    private static DefaultOutbox outbox(OutboxStore store) {
        return new DefaultOutbox(store, new Destinations(List.of(MessagePublisher.of("ledger", (message) -> {
        }))), new MessageCodec(JsonMapper.shared()), new Partitioner(16), Clock.systemUTC());
    }

    /** A wrapper that is no StateAttachingOutboxStore, as a user's metrics wrapper might be. */
    private record ForwardingOutboxStore(InMemoryOutboxStore delegate) implements OutboxStore {

        @Override
        public void append(NewMessage message) {
            this.delegate.append(message);
        }

        @Override
        public Optional<StoredMessage> find(MessageId id) {
            return this.delegate.find(id);
        }

        @Override
        public boolean stamp(int partition, FencingToken token) {
            return this.delegate.stamp(partition, token);
        }

        @Override
        public List<StoredMessage> nextBatch(int partition, Instant now, int limit) {
            return this.delegate.nextBatch(partition, now, limit);
        }

        @Override
        public boolean markDelivered(StoredMessage message, FencingToken token, Instant at) {
            return this.delegate.markDelivered(message, token, at);
        }

        @Override
        public boolean markRetry(StoredMessage message, FencingToken token, Instant retryAt, String error) {
            return this.delegate.markRetry(message, token, retryAt, error);
        }

        @Override
        public boolean markDead(StoredMessage message, FencingToken token, Instant at, String error) {
            return this.delegate.markDead(message, token, at, error);
        }

        @Override
        public int deleteFinished(MessageStatus status, Instant finishedBefore, int limit) {
            return this.delegate.deleteFinished(status, finishedBefore, limit);
        }

        @Override
        public long count(MessageStatus status) {
            return this.delegate.count(status);
        }

        @Override
        public Optional<Instant> oldestPending() {
            return this.delegate.oldestPending();
        }

        @Override
        public List<StoredMessage> deadLetters(int limit) {
            return this.delegate.deadLetters(limit);
        }
    }
}
