package dev.quark.messaging.state;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Function;

import dev.quark.eventsourcing.NewEvent;
import dev.quark.eventsourcing.redis.RedisEventStore;
import dev.quark.messaging.MessageId;
import dev.quark.messaging.MessagePublisher;
import dev.quark.messaging.runtime.DefaultOutbox;
import dev.quark.messaging.runtime.DefaultStateOutbox;
import dev.quark.messaging.Destinations;
import dev.quark.messaging.runtime.MessageCodec;
import dev.quark.messaging.runtime.Partitioner;
import dev.quark.messaging.store.redis.RedisOutboxStore;
import dev.quark.state.PersistentState;
import dev.quark.state.StateKey;
import dev.quark.state.StateWriteAttachment;
import dev.quark.state.JsonStateSerializer;
import dev.quark.state.internal.StoreBackedState;
import dev.quark.state.redis.RedisStateStore;
import dev.quark.testkit.server.RedisTestArea;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.data.redis.connection.ClusterSlotHashUtil;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * A state's save or an event append with outbox messages on a Redis Cluster: one script would write the state's (or
 * stream's) key and the outbox's {@code {outbox}} keys, which lie in different hash slots, so the store refuses it
 * before anything is written, naming both keys; with no messages the attachment adds no key and the write goes on.
 */
class RedisClusterOutboxAttachmentTests {

    private static RedisTestArea area;

    private static RedisStateStore states;

    private static RedisEventStore events;

    private static RedisOutboxStore messages;

    private static StateOutbox stateOutbox;

    @BeforeAll
    static void connect() {
        area = RedisTestArea.onCluster(RedisClusterOutboxAttachmentTests.class);
        states = new RedisStateStore(area.connectionFactory(), area.prefix());
        events = new RedisEventStore(area.connectionFactory(), area.prefix());
        messages = new RedisOutboxStore(area.connectionFactory(), area.prefix());
        stateOutbox = new DefaultStateOutbox(new DefaultOutbox(messages,
                new Destinations(List.of(MessagePublisher.of("ledger", (message) -> {
                }))), new MessageCodec(JsonMapper.shared()), new Partitioner(16), Clock.systemUTC()));
    }

    @AfterAll
    static void disconnect() {
        if (area != null) {
            area.close();
        }
    }

    @Test
    void aStateSavedWithMessagesIsRefusedNamingBothKeysAndNothingIsWritten() {
        String account = outsideTheOutboxSlot((id) -> states.redisKey(new StateKey("Account", id, "balance")));
        PersistentState<Long> balance = balance(account);
        balance.set(70L);
        List<MessageId> enqueued = new ArrayList<>();

        assertThatExceptionOfType(UnsupportedOperationException.class)
            .isThrownBy(() -> stateOutbox.save(balance,
                    (outbox) -> enqueued.add(outbox.enqueue("ledger", account, "withdrawn 30"))))
            .withMessageContaining("Cannot save state")
            .withMessageContaining("1 outbox message on a Redis Cluster")
            .withMessageContaining(states.redisKey(new StateKey("Account", account, "balance")))
            .withMessageContaining("{outbox}")
            .withMessageContaining("Nothing was written");

        assertThat(enqueued).hasSize(1);
        assertThat(messages.find(enqueued.getFirst())).as("the message of the refused save").isEmpty();
        assertThat(states.load(new StateKey("Account", account, "balance"))).as("the state").isEmpty();
    }

    @Test
    void aStateSavedWithNoMessagesIsWritten() {
        PersistentState<Long> balance = balance("bob");
        balance.set(5L);

        assertThat(stateOutbox.save(balance, (outbox) -> {
        })).isEmpty();

        assertThat(balance("bob").get()).isEqualTo(5L);
    }

    @Test
    void eventsAppendedWithMessagesAreRefusedNamingBothKeysAndNothingIsWritten() {
        String stream = "Wallet/" + outsideTheOutboxSlot((id) -> events.redisKey("Wallet/" + id));
        List<MessageId> enqueued = new ArrayList<>();
        StateWriteAttachment attachment = stateOutbox
            .withMessages((outbox) -> enqueued.add(outbox.enqueue("ledger", "w", "opened")));

        assertThatExceptionOfType(UnsupportedOperationException.class)
            .isThrownBy(() -> events.append(stream, List.of(newEvent()), 0, attachment))
            .withMessageContaining("Cannot append to event stream '" + stream + "' with 1 outbox message on a Redis "
                    + "Cluster")
            .withMessageContaining("{outbox}")
            .withMessageContaining("Nothing was written");

        assertThat(events.version(stream)).as("the stream").isZero();
        assertThat(messages.find(enqueued.getFirst())).as("the message of the refused append").isEmpty();
    }

    @Test
    void eventsAppendedWithNoMessagesAreWritten() {
        String stream = "Wallet/" + UUID.randomUUID();

        events.append(stream, List.of(newEvent()), 0, stateOutbox.withMessages((outbox) -> {
        }));

        assertThat(events.version(stream)).isOne();
    }

    /**
     * Returns an id whose key lies in another hash slot than the outbox's, so that the refusal does not depend on
     * where a random prefix puts the key (one slot in 16,384 is the outbox's).
     */
    private static String outsideTheOutboxSlot(Function<String, String> keyOf) {
        int outbox = ClusterSlotHashUtil.calculateSlot(messages.messageKey(MessageId.next(Clock.systemUTC())));
        for (int i = 0; i < 100; i++) {
            String id = "id-" + i;
            if (ClusterSlotHashUtil.calculateSlot(keyOf.apply(id)) != outbox) {
                return id;
            }
        }
        throw new AssertionError("100 ids in a row in the outbox's slot " + outbox);
    }

    private static PersistentState<Long> balance(String account) {
        StoreBackedState<Long> state = new StoreBackedState<>(new StateKey("Account", account, "balance"), "test",
                states, new JsonStateSerializer(), Long.class);
        state.reload();
        return state;
    }

    private static NewEvent newEvent() {
        return new NewEvent(UUID.randomUUID(), "Opened", 1, "{}");
    }
}
