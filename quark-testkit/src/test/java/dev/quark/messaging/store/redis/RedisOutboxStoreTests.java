package dev.quark.messaging.store.redis;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;

import dev.quark.lease.FencingToken;
import dev.quark.messaging.MessageId;
import dev.quark.messaging.store.MessageStatus;
import dev.quark.messaging.store.NewMessage;
import dev.quark.messaging.store.OutboxStore;
import dev.quark.messaging.store.StoredMessage;
import dev.quark.state.redis.RedisStateAttachment;
import dev.quark.testkit.messaging.OutboxStoreContractTests;
import dev.quark.testkit.server.RedisTestArea;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

class RedisOutboxStoreTests extends OutboxStoreContractTests {

    private static LettuceConnectionFactory connectionFactory;

    private static String prefix;

    private static RedisOutboxStore store;

    private static StringRedisTemplate redis;

    @AutoClose
    private static RedisTestArea area;

    @BeforeAll
    static void connect() {
        use(RedisTestArea.onServer(RedisOutboxStoreTests.class));
    }

    /**
     * Runs the tests in a room on a Redis; a subclass that hides {@link #connect()} runs them on another Redis.
     * @param room the factory and the key prefix, closed after the tests
     */
    static void use(RedisTestArea room) {
        area = room;
        prefix = room.prefix();
        connectionFactory = room.connectionFactory();
        store = new RedisOutboxStore(connectionFactory, prefix);
        redis = new StringRedisTemplate(connectionFactory);
    }

    @Override
    protected OutboxStore store() {
        return store;
    }

    @Test
    void anAttachmentWithNoMessagesAddsNoKeyToTheScriptOfASave() {
        RedisStateAttachment empty = (RedisStateAttachment) store.appendWithState(List.of());
        assertThat(empty.keys()).as("no {outbox} key beside a state's or a stream's: no CROSSSLOT on a Cluster")
            .isEmpty();
        assertThat(empty.arguments()).isEmpty();
        NewMessage message = new NewMessage(MessageId.next(Clock.systemUTC()), "orders", "k", 1, "java.lang.String",
                "\"x\"", Map.of(), NOW);
        RedisStateAttachment one = (RedisStateAttachment) store.appendWithState(List.of(message));
        assertThat(one.keys()).hasSize(5).allSatisfy((key) -> assertThat(key).startsWith(prefix + "{outbox}:"));
    }

    @Test
    void aMessageIsAHashIndexedByPartitionUnderTheOutboxHashTag() {
        int partition = newPartition();
        StoredMessage message = append(partition, "order-7", NOW);
        String tagged = prefix + "{outbox}:";
        assertThat(store.messageKey(message.id())).isEqualTo(tagged + "msg:" + message.id());
        assertThat(redis.opsForHash().entries(tagged + "msg:" + message.id())).containsEntry("key", "order-7")
            .containsEntry("status", "PENDING")
            .containsEntry("partition", Integer.toString(partition))
            .containsEntry("created_at", NOW.toString());
        assertThat(redis.opsForZSet().score(tagged + "pending:" + partition, message.id().toString()))
            .isEqualTo((double) message.sequence());
        assertThat(redis.opsForHash().get(tagged + "keys:" + partition, message.id().toString())).isEqualTo("order-7");
        assertThat(redis.opsForZSet().score(tagged + "pending", message.id().toString()))
            .isEqualTo((double) NOW.toEpochMilli());
        assertThat(new TreeSet<>(redis.keys(prefix + "*"))).allSatisfy((key) -> assertThat(key).startsWith(tagged));
    }

    @Test
    void aMessageIdCannotBeAppendedTwice() {
        StoredMessage message = append(newPartition(), "k", NOW);
        assertThatIllegalArgumentException()
            .isThrownBy(() -> store.append(new NewMessage(message.id(), "orders", "k", message.partition(), "T", "{}",
                    java.util.Map.of(), NOW)))
            .withMessage("Message " + message.id() + " was enqueued already");
        assertThat(store.find(message.id()).orElseThrow().payload()).isEqualTo(message.payload());
    }

    @Test
    void aRetryDueWithinAMillisecondKeepsItsKeyWaitingUntilItIsDue() {
        int partition = newPartition();
        FencingToken token = new FencingToken(3);
        assertThat(store.stamp(partition, token)).isTrue();
        StoredMessage failing = append(partition, "k", NOW);
        Instant retryAt = NOW.plusNanos(1_500_000);
        assertThat(store.markRetry(failing, token, retryAt, "down")).isTrue();
        assertThat(store.find(failing.id()).orElseThrow().retryAt()).as("kept exactly").isEqualTo(retryAt);
        assertThat(store.nextBatch(partition, NOW.plusMillis(1), 10)).isEmpty();
        assertThat(store.nextBatch(partition, NOW.plusMillis(2), 10)).extracting(StoredMessage::id)
            .containsExactly(failing.id());
    }

    @Test
    void aHashThatIsNotAMessageFailsNamingItsKey() {
        StoredMessage message = append(newPartition(), "k", NOW);
        redis.opsForHash().delete(store.messageKey(message.id()), "payload");
        assertThatIllegalStateException().isThrownBy(() -> store.find(message.id()))
            .withMessageContaining(store.messageKey(message.id()))
            .withMessageContaining("'payload'");
    }

    @Test
    void pendingIsNotAStatusRetentionDeletes() {
        assertThatIllegalArgumentException()
            .isThrownBy(() -> store.deleteFinished(MessageStatus.PENDING, NOW, 10))
            .withMessageContaining("PENDING");
    }

    @Test
    void aBatchLooksAtABoundedNumberOfPendingMessagesBehindABlockedKey() {
        int partition = newPartition();
        FencingToken token = new FencingToken(3);
        assertThat(store.stamp(partition, token)).isTrue();
        StoredMessage failing = append(partition, "blocked", NOW);
        int budget = RedisOutboxStore.scanBudget(10);
        assertThat(budget).isEqualTo(RedisOutboxStore.MIN_SCAN_BUDGET);
        appendMany(partition, "blocked", budget);
        StoredMessage behind = append(partition, "free", NOW);
        assertThat(store.markRetry(failing, token, NOW.plusSeconds(60), "down")).isTrue();
        assertThat(store.nextBatch(partition, NOW, 10)).as("the free key lies past the scan budget").isEmpty();
        assertThat(store.nextBatch(partition, NOW, budget / 5)).as("a larger batch looks further")
            .extracting(StoredMessage::id)
            .containsExactly(behind.id());
        List<StoredMessage> due = store.nextBatch(partition, NOW.plusSeconds(61), 10);
        assertThat(due).as("the blocked key goes on, in order, once its retry is due").hasSize(10);
        assertThat(due.getFirst().id()).isEqualTo(failing.id());
        assertThat(due).extracting(StoredMessage::sequence).isSorted();
    }

    @Test
    void theScanBudgetIsTenPerMessageAndAtLeastTheMinimum() {
        assertThat(RedisOutboxStore.scanBudget(1)).isEqualTo(RedisOutboxStore.MIN_SCAN_BUDGET);
        assertThat(RedisOutboxStore.scanBudget(1_000)).isEqualTo(10_000);
        assertThat(RedisOutboxStore.scanBudget(Integer.MAX_VALUE)).isEqualTo(Integer.MAX_VALUE);
    }

    /** Appends messages of one key, in batches of one script each. */
    private static void appendMany(int partition, String key, int count) {
        List<NewMessage> batch = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            batch.add(new NewMessage(MessageId.next(Clock.systemUTC()), "orders", key, partition, "T", "{}", Map.of(),
                    NOW));
            if (batch.size() == 500 || i == count - 1) {
                assertThat(redis.execute(RedisOutboxScripts.APPEND, store.appendKeys(batch),
                        store.appendArguments(batch).toArray()))
                    .isEmpty();
                batch.clear();
            }
        }
    }
}
