package dev.quark.messaging.state;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;
import tools.jackson.databind.json.JsonMapper;

import dev.quark.messaging.Destinations;
import dev.quark.messaging.MessageId;
import dev.quark.messaging.MessagePublisher;
import dev.quark.messaging.UnknownDestinationException;
import dev.quark.messaging.runtime.DefaultOutbox;
import dev.quark.messaging.runtime.DefaultStateOutbox;
import dev.quark.messaging.runtime.MessageCodec;
import dev.quark.messaging.runtime.Partitioner;
import dev.quark.messaging.store.MessageStatus;
import dev.quark.messaging.store.StoredMessage;
import dev.quark.messaging.store.redis.RedisOutboxStore;
import dev.quark.state.ConcurrencyException;
import dev.quark.state.JsonStateSerializer;
import dev.quark.state.PersistentState;
import dev.quark.state.StateKey;
import dev.quark.state.StateStore;
import dev.quark.state.StateStoreException;
import dev.quark.state.internal.StoreBackedState;
import dev.quark.state.memory.InMemoryStateStore;
import dev.quark.state.redis.RedisStateAttachment;
import dev.quark.state.redis.RedisStateStore;
import dev.quark.testkit.server.RedisTestConnections;
import dev.quark.testkit.server.RedisTestServer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * An actor's state kept in Redis and its outbox messages written by one Lua script: both, or neither.
 */
class RedisStateOutboxTests {

    private static LettuceConnectionFactory connectionFactory;

    private static String prefix;

    private static RedisStateStore states;

    private static RedisOutboxStore messages;

    private static StateOutbox stateOutbox;

    @BeforeAll
    static void connect() {
        RedisTestServer server = RedisTestServer.get();
        prefix = server.uniqueKeyPrefix(RedisStateOutboxTests.class);
        connectionFactory = RedisTestConnections.connect(server);
        states = new RedisStateStore(connectionFactory, prefix);
        messages = new RedisOutboxStore(connectionFactory, prefix);
        stateOutbox = new DefaultStateOutbox(outbox(messages));
    }

    @AfterAll
    static void disconnect() {
        if (connectionFactory != null) {
            StringRedisTemplate redis = new StringRedisTemplate(connectionFactory);
            Set<String> keys = redis.keys(prefix + "*");
            if (keys != null && !keys.isEmpty()) {
                redis.delete(keys);
            }
            connectionFactory.destroy();
        }
    }

    static DefaultOutbox outbox(RedisOutboxStore store) {
        return new DefaultOutbox(store, new Destinations(List.of(MessagePublisher.of("ledger", (message) -> {
        }))), new MessageCodec(JsonMapper.shared()), new Partitioner(16), Clock.systemUTC());
    }

    static PersistentState<Long> balance(StateStore store, String account) {
        StoreBackedState<Long> state = new StoreBackedState<>(new StateKey("Account", account, "balance"), "test",
                store, new JsonStateSerializer(), Long.class);
        state.reload();
        return state;
    }

    @Test
    void theStateAndItsMessagesAreWrittenTogetherInEnqueueOrder() {
        PersistentState<Long> balance = balance(states, "alice");
        balance.set(70L);
        List<MessageId> ids = stateOutbox.save(balance, (outbox) -> {
            outbox.enqueue("ledger", "alice", "withdrawn 30");
            outbox.enqueue("ledger", "alice", "balance 70", Map.of("tenant", "t-1"));
        });
        assertThat(balance.version()).isOne();
        assertThat(balance(states, "alice").get()).isEqualTo(70L);
        assertThat(ids).hasSize(2);
        StoredMessage first = messages.find(ids.get(0)).orElseThrow();
        StoredMessage second = messages.find(ids.get(1)).orElseThrow();
        assertThat(first.payload()).isEqualTo("\"withdrawn 30\"");
        assertThat(first.status()).isEqualTo(MessageStatus.PENDING);
        assertThat(second.headers()).containsEntry("tenant", "t-1");
        assertThat(first.sequence()).isLessThan(second.sequence());
        assertThat(messages.nextBatch(first.partition(), first.createdAt().plusSeconds(1), 10))
            .extracting(StoredMessage::id).containsSubsequence(ids.get(0), ids.get(1));
    }

    @Test
    void aStaleVersionWritesNeitherTheStateNorTheMessages() {
        PersistentState<Long> mine = balance(states, "bob");
        PersistentState<Long> theirs = balance(states, "bob");
        theirs.set(5L);
        theirs.save();
        mine.set(10L);
        List<MessageId> enqueued = new ArrayList<>();
        assertThatExceptionOfType(ConcurrencyException.class).isThrownBy(() -> stateOutbox.save(mine,
                (outbox) -> enqueued.add(outbox.enqueue("ledger", "bob", "deposited 10"))))
            .withMessageContaining("expected version 0");
        assertThat(enqueued).hasSize(1);
        assertThat(messages.find(enqueued.getFirst())).as("the message of the refused save").isEmpty();
        assertThat(balance(states, "bob").get()).isEqualTo(5L);
    }

    @Test
    void aBadMessageFailsTheCallBeforeAnythingIsWritten() {
        PersistentState<Long> balance = balance(states, "carol");
        balance.set(1L);
        long pending = messages.count(MessageStatus.PENDING);
        assertThatExceptionOfType(UnknownDestinationException.class)
            .isThrownBy(() -> stateOutbox.save(balance, (outbox) -> {
                outbox.enqueue("ledger", "carol", "fine");
                outbox.enqueue("nowhere", "carol", "lost");
            }))
            .withMessageContaining("'nowhere'");
        assertThat(balance(states, "carol").exists()).isFalse();
        assertThat(messages.count(MessageStatus.PENDING)).isEqualTo(pending);
    }

    @Test
    void aStateKeptOutsideRedisIsRefusedNamingItsStoreAndNothingIsWritten() {
        PersistentState<Long> balance = balance(new InMemoryStateStore(), "dave");
        balance.set(3L);
        long pending = messages.count(MessageStatus.PENDING);
        assertThatExceptionOfType(UnsupportedOperationException.class)
            .isThrownBy(() -> stateOutbox.save(balance, (outbox) -> outbox.enqueue("ledger", "dave", "x")))
            .withMessageContaining("InMemoryStateStore")
            .withMessageContaining("cannot write 1 outbox message atomically with state");
        assertThat(balance.get()).as("the value is kept").isEqualTo(3L);
        assertThat(balance.version()).isZero();
        assertThat(messages.count(MessageStatus.PENDING)).isEqualTo(pending);
    }

    @Test
    void aStateOnAnotherRedisConnectionIsRefused() {
        LettuceConnectionFactory other = RedisTestConnections.connect(RedisTestServer.get());
        try {
            PersistentState<Long> balance = balance(new RedisStateStore(other, prefix), "erin");
            balance.set(3L);
            assertThatExceptionOfType(UnsupportedOperationException.class)
                .isThrownBy(() -> stateOutbox.save(balance, (outbox) -> outbox.enqueue("ledger", "erin", "x")))
                .withMessageContaining("another Redis connection factory");
            assertThat(balance(states, "erin").exists()).isFalse();
        }
        finally {
            other.destroy();
        }
    }

    @Test
    void anAttachmentThatRefusesLeavesTheStateUnwritten() {
        PersistentState<Long> balance = balance(states, "frank");
        balance.set(9L);
        RedisStateAttachment refusing = new RedisStateAttachment() {

            @Override
            public String script() {
                return "return 'no: ' .. attached_args[1]";
            }

            @Override
            public List<String> keys() {
                return List.of(prefix + "refusal-probe");
            }

            @Override
            public List<String> arguments() {
                return List.of("refused on purpose");
            }

            @Override
            public org.springframework.data.redis.connection.RedisConnectionFactory connectionFactory() {
                return connectionFactory;
            }

            @Override
            public String description() {
                return "a probe";
            }
        };
        assertThatExceptionOfType(StateStoreException.class).isThrownBy(() -> balance.save(refusing))
            .havingRootCause()
            .withMessageContaining("no: refused on purpose");
        assertThat(balance(states, "frank").exists()).isFalse();
        assertThat(balance.version()).isZero();
    }
}
