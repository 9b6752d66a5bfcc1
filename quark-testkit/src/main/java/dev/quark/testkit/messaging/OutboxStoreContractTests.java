package dev.quark.testkit.messaging;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import dev.quark.lease.FencingToken;
import dev.quark.messaging.MessageId;
import dev.quark.messaging.store.MessageStatus;
import dev.quark.messaging.store.NewMessage;
import dev.quark.messaging.store.OutboxStore;
import dev.quark.messaging.store.StoredMessage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;

/**
 * The behaviour every {@link OutboxStore} must have, so that the in-memory and PostgreSQL stores (and yours) are
 * interchangeable: messages read back as appended, batches in append order that hold back the keys waiting for a
 * retry, the fencing of every state change by the partition's stamped token, dead letters, and retention.
 * <p>
 * Subclass it and return the store; every test uses partitions of its own (from 1000 up), so one store may serve all
 * tests of the class:
 * <pre>{@code
 * class MyOutboxStoreTests extends OutboxStoreContractTests {
 *     protected OutboxStore store() { return this.store; }
 * }
 * }</pre>
 * Instants are whole milliseconds, which every store keeps.
 */
public abstract class OutboxStoreContractTests {

    /** The instant the tests' messages are enqueued at. */
    protected static final Instant NOW = Instant.parse("2026-01-01T12:00:00.123Z");

    private static final AtomicInteger partitions = new AtomicInteger(1000);

    private static final FencingToken TOKEN = new FencingToken(10);

    /**
     * Returns the store under test.
     * @return the store
     */
    protected abstract OutboxStore store();

    /**
     * Returns a partition no other test uses.
     * @return the partition
     */
    protected static int newPartition() {
        return partitions.getAndIncrement();
    }

    /**
     * Appends a message.
     * @param partition the partition
     * @param key the key
     * @param createdAt when
     * @return the message as stored
     */
    protected StoredMessage append(int partition, String key, Instant createdAt) {
        return append(partition, "orders", key, createdAt);
    }

    /**
     * Appends a message for a destination.
     * @param partition the partition
     * @param destination the destination
     * @param key the key
     * @param createdAt when
     * @return the message as stored
     */
    protected StoredMessage append(int partition, String destination, String key, Instant createdAt) {
        MessageId id = MessageId.next(java.time.Clock.systemUTC());
        store().append(new NewMessage(id, destination, key, partition, "com.example.OrderPlaced",
                "{\"order\":\"" + key + "\"}", Map.of("tenant", "t-1", "trace", "abc"), createdAt));
        return store().find(id).orElseThrow();
    }

    @Test
    void anAppendedMessageReadsBackPendingWithItsFields() {
        int partition = newPartition();
        StoredMessage message = append(partition, "order-1", NOW);
        assertThat(message.destination()).isEqualTo("orders");
        assertThat(message.key()).isEqualTo("order-1");
        assertThat(message.partition()).isEqualTo(partition);
        assertThat(message.payloadType()).isEqualTo("com.example.OrderPlaced");
        assertThat(message.payload()).isEqualTo("{\"order\":\"order-1\"}");
        assertThat(message.headers()).containsExactlyInAnyOrderEntriesOf(Map.of("tenant", "t-1", "trace", "abc"));
        assertThat(message.createdAt()).isEqualTo(NOW);
        assertThat(message.status()).isEqualTo(MessageStatus.PENDING);
        assertThat(message.attempts()).isZero();
        assertThat(message.retryAt()).isNull();
        assertThat(message.finishedAt()).isNull();
        assertThat(message.toDelivery().attempt()).isEqualTo(1);
    }

    @Test
    void aMessageThatWasNeverAppendedIsNotFound() {
        assertThat(store().find(MessageId.next(java.time.Clock.systemUTC()))).isEmpty();
    }

    @Test
    void aBatchHoldsThePartitionsPendingMessagesInAppendOrderUpToTheLimit() {
        int partition = newPartition();
        StoredMessage first = append(partition, "b", NOW);
        StoredMessage second = append(partition, "a", NOW);
        StoredMessage third = append(partition, "b", NOW);
        append(newPartition(), "b", NOW);
        assertThat(store().nextBatch(partition, NOW, 10)).extracting(StoredMessage::id)
            .containsExactly(first.id(), second.id(), third.id());
        assertThat(store().nextBatch(partition, NOW, 2)).extracting(StoredMessage::id)
            .containsExactly(first.id(), second.id());
        assertThat(first.sequence()).isLessThan(second.sequence());
        assertThat(second.sequence()).isLessThan(third.sequence());
    }

    @Test
    void whileAMessageWaitsForItsRetryTheLaterMessagesOfItsKeyWaitToo() {
        int partition = newPartition();
        assertThat(store().stamp(partition, TOKEN)).isTrue();
        StoredMessage failing = append(partition, "k", NOW);
        StoredMessage later = append(partition, "k", NOW);
        StoredMessage other = append(partition, "j", NOW);
        Instant retryAt = NOW.plusSeconds(10);
        assertThat(store().markRetry(failing, TOKEN, retryAt, "broker down")).isTrue();

        assertThat(store().nextBatch(partition, NOW.plusSeconds(9), 10)).extracting(StoredMessage::id)
            .containsExactly(other.id());
        List<StoredMessage> due = store().nextBatch(partition, retryAt, 10);
        assertThat(due).extracting(StoredMessage::id).containsExactly(failing.id(), later.id(), other.id());
        StoredMessage retried = due.getFirst();
        assertThat(retried.attempts()).isEqualTo(1);
        assertThat(retried.retryAt()).isEqualTo(retryAt);
        assertThat(retried.lastError()).isEqualTo("broker down");
        assertThat(retried.status()).isEqualTo(MessageStatus.PENDING);
    }

    @Test
    void aDeliveredMessageLeavesTheBatchesAndCannotBeMarkedAgain() {
        int partition = newPartition();
        assertThat(store().stamp(partition, TOKEN)).isTrue();
        StoredMessage message = append(partition, "k", NOW);
        assertThat(store().markDelivered(message, TOKEN, NOW.plusSeconds(1))).isTrue();
        StoredMessage delivered = store().find(message.id()).orElseThrow();
        assertThat(delivered.status()).isEqualTo(MessageStatus.DELIVERED);
        assertThat(delivered.attempts()).isEqualTo(1);
        assertThat(delivered.finishedAt()).isEqualTo(NOW.plusSeconds(1));
        assertThat(store().nextBatch(partition, NOW, 10)).isEmpty();
        assertThat(store().markDelivered(message, TOKEN, NOW.plusSeconds(2))).isFalse();
        assertThat(store().markRetry(message, TOKEN, NOW.plusSeconds(2), "again")).isFalse();
    }

    @Test
    void everyStateChangeIsRefusedUnlessThePartitionCarriesItsToken() {
        int partition = newPartition();
        StoredMessage message = append(partition, "k", NOW);
        assertThat(store().markDelivered(message, TOKEN, NOW)).as("never stamped").isFalse();
        assertThat(store().stamp(partition, TOKEN)).isTrue();
        FencingToken newer = new FencingToken(TOKEN.value() + 5);
        assertThat(store().stamp(partition, newer)).isTrue();
        assertThat(store().stamp(partition, TOKEN)).as("an older lease cannot stamp over a newer one").isFalse();
        assertThat(store().markDelivered(message, TOKEN, NOW)).isFalse();
        assertThat(store().markRetry(message, TOKEN, NOW, "x")).isFalse();
        assertThat(store().markDead(message, TOKEN, NOW, "x")).isFalse();
        assertThat(store().find(message.id()).orElseThrow().status()).isEqualTo(MessageStatus.PENDING);
        assertThat(store().markDelivered(message, newer, NOW)).isTrue();
    }

    @Test
    void aDeadLetterIsKeptListedAndFreesTheLaterMessagesOfItsKey() {
        int partition = newPartition();
        assertThat(store().stamp(partition, TOKEN)).isTrue();
        StoredMessage dead = append(partition, "k", NOW);
        StoredMessage later = append(partition, "k", NOW);
        assertThat(store().markRetry(dead, TOKEN, NOW.plusSeconds(5), "first")).isTrue();
        StoredMessage retried = store().find(dead.id()).orElseThrow();
        assertThat(store().markDead(retried, TOKEN, NOW.plusSeconds(6), "java.io.IOException: gone")).isTrue();
        StoredMessage letter = store().find(dead.id()).orElseThrow();
        assertThat(letter.status()).isEqualTo(MessageStatus.DEAD);
        assertThat(letter.attempts()).isEqualTo(2);
        assertThat(letter.lastError()).isEqualTo("java.io.IOException: gone");
        assertThat(store().deadLetters(10_000)).extracting(StoredMessage::id).contains(dead.id());
        assertThat(store().nextBatch(partition, NOW, 10)).extracting(StoredMessage::id).containsExactly(later.id());
    }

    @Test
    void aRequeuedDeadLetterIsPendingAgainBehindThePendingMessagesOfItsKey() {
        int partition = newPartition();
        assertThat(store().stamp(partition, TOKEN)).isTrue();
        StoredMessage dead = append(partition, "k", NOW);
        StoredMessage delivered = append(partition, "k", NOW);
        StoredMessage pending = append(partition, "k", NOW);
        assertThat(store().markDead(dead, TOKEN, NOW.plusSeconds(1), "java.io.IOException: gone")).isTrue();
        assertThat(store().markDelivered(delivered, TOKEN, NOW.plusSeconds(2))).isTrue();
        long deadLetters = store().count(MessageStatus.DEAD);

        assertThat(store().requeue(dead.id())).isTrue();

        StoredMessage requeued = store().find(dead.id()).orElseThrow();
        assertThat(requeued.status()).isEqualTo(MessageStatus.PENDING);
        assertThat(requeued.attempts()).isZero();
        assertThat(requeued.retryAt()).isNull();
        assertThat(requeued.finishedAt()).isNull();
        assertThat(requeued.lastError()).isEqualTo("java.io.IOException: gone");
        assertThat(requeued.createdAt()).isEqualTo(NOW);
        assertThat(requeued.payload()).isEqualTo(dead.payload());
        assertThat(requeued.sequence()).as("a new sequence, after the key's pending message")
            .isGreaterThan(pending.sequence());
        assertThat(store().count(MessageStatus.DEAD)).isEqualTo(deadLetters - 1);
        assertThat(store().deadLetters(10_000)).extracting(StoredMessage::id).doesNotContain(dead.id());
        assertThat(store().nextBatch(partition, NOW, 10)).extracting(StoredMessage::id)
            .containsExactly(pending.id(), dead.id());
        assertThat(store().markDelivered(requeued, TOKEN, NOW.plusSeconds(3))).isTrue();
        assertThat(store().find(dead.id()).orElseThrow().status()).isEqualTo(MessageStatus.DELIVERED);
    }

    @Test
    void onlyADeadLetterIsRequeued() {
        int partition = newPartition();
        assertThat(store().stamp(partition, TOKEN)).isTrue();
        StoredMessage pending = append(partition, "k", NOW);
        StoredMessage delivered = append(partition, "j", NOW);
        assertThat(store().markDelivered(delivered, TOKEN, NOW)).isTrue();
        assertThat(store().requeue(pending.id())).isFalse();
        assertThat(store().requeue(delivered.id())).isFalse();
        assertThat(store().requeue(MessageId.next(java.time.Clock.systemUTC()))).isFalse();
        assertThat(store().find(pending.id()).orElseThrow().sequence()).isEqualTo(pending.sequence());
        assertThat(store().find(delivered.id()).orElseThrow().status()).isEqualTo(MessageStatus.DELIVERED);
    }

    @Test
    void theDeadLettersOfADestinationAreRequeuedOldestFirstUpToTheLimit() {
        int partition = newPartition();
        String destination = "refunds-" + partition;
        assertThat(store().stamp(partition, TOKEN)).isTrue();
        StoredMessage first = append(partition, destination, "a", NOW);
        StoredMessage other = append(partition, "orders", "b", NOW);
        StoredMessage second = append(partition, destination, "c", NOW);
        StoredMessage third = append(partition, destination, "a", NOW);
        for (StoredMessage message : List.of(first, other, second, third)) {
            assertThat(store().markDead(message, TOKEN, NOW, "x")).isTrue();
        }
        assertThat(store().requeueDead(destination, 2)).containsExactly(first.id(), second.id());
        assertThat(store().requeueDead(destination, 10)).containsExactly(third.id());
        assertThat(store().requeueDead(destination, 10)).isEmpty();
        assertThat(store().find(other.id()).orElseThrow().status()).isEqualTo(MessageStatus.DEAD);
        assertThat(store().nextBatch(partition, NOW, 10)).extracting(StoredMessage::id)
            .containsExactly(first.id(), second.id(), third.id());
    }

    @Test
    void requeueingThroughASequenceLeavesOutTheMessagesRequeuedSinceAndDeadAgain() {
        int partition = newPartition();
        String destination = "refunds-" + partition;
        assertThat(store().stamp(partition, TOKEN)).isTrue();
        StoredMessage first = append(partition, destination, "a", NOW);
        StoredMessage second = append(partition, destination, "b", NOW);
        for (StoredMessage message : List.of(first, second)) {
            assertThat(store().markDead(message, TOKEN, NOW, "x")).isTrue();
        }
        long through = store().lastSequence();
        assertThat(through).isGreaterThanOrEqualTo(second.sequence());

        assertThat(store().requeueDead(destination, through, 1)).containsExactly(first.id());
        StoredMessage requeued = store().find(first.id()).orElseThrow();
        assertThat(requeued.sequence()).isGreaterThan(through);
        assertThat(store().lastSequence()).isGreaterThanOrEqualTo(requeued.sequence());
        assertThat(store().markDead(requeued, TOKEN, NOW, "dead again")).isTrue();

        assertThat(store().requeueDead(destination, through, 10)).containsExactly(second.id());
        assertThat(store().requeueDead(destination, through, 10)).isEmpty();
        assertThat(store().find(first.id()).orElseThrow().status()).isEqualTo(MessageStatus.DEAD);
        assertThat(store().requeueDead(destination, 10)).containsExactly(first.id());
    }

    @Test
    void requeueingDeadLettersRefusesALimitBelowOneOrNoDestinationNamingItAndRequeuesNothing() {
        int partition = newPartition();
        String destination = "refunds-" + partition;
        assertThat(store().stamp(partition, TOKEN)).isTrue();
        StoredMessage dead = append(partition, destination, "a", NOW);
        assertThat(store().markDead(dead, TOKEN, NOW, "x")).isTrue();

        assertThatIllegalArgumentException().isThrownBy(() -> store().requeueDead(destination, 0))
            .withMessage("limit must be at least 1, not 0");
        assertThatIllegalArgumentException().isThrownBy(() -> store().requeueDead(destination, -5))
            .withMessage("limit must be at least 1, not -5");
        assertThatIllegalArgumentException()
            .isThrownBy(() -> store().requeueDead(destination, store().lastSequence(), Integer.MIN_VALUE))
            .withMessage("limit must be at least 1, not " + Integer.MIN_VALUE);
        assertThatNullPointerException().isThrownBy(() -> store().requeueDead(null, 10))
            .withMessage("destination must not be null");
        assertThat(store().find(dead.id()).orElseThrow().status()).isEqualTo(MessageStatus.DEAD);
        assertThat(store().find(dead.id()).orElseThrow().sequence()).isEqualTo(dead.sequence());
    }

    @Test
    void countsAndTheOldestPendingMessageFollowTheMessages() {
        int partition = newPartition();
        assertThat(store().stamp(partition, TOKEN)).isTrue();
        long pending = store().count(MessageStatus.PENDING);
        long delivered = store().count(MessageStatus.DELIVERED);
        Instant old = Instant.parse("1900-01-01T00:00:00Z"); // older than every other test's
        StoredMessage message = append(partition, "k", old);
        assertThat(store().count(MessageStatus.PENDING)).isEqualTo(pending + 1);
        assertThat(store().oldestPending()).contains(old);
        assertThat(store().markDelivered(message, TOKEN, NOW)).isTrue();
        assertThat(store().count(MessageStatus.PENDING)).isEqualTo(pending);
        assertThat(store().count(MessageStatus.DELIVERED)).isEqualTo(delivered + 1);
        assertThat(store().oldestPending()).isNotEqualTo(java.util.Optional.of(old));
    }

    @Test
    void retentionDeletesOnlyMessagesOfTheStatusFinishedBeforeTheInstant() {
        int partition = newPartition();
        assertThat(store().stamp(partition, TOKEN)).isTrue();
        Instant ancient = Instant.parse("1990-01-01T00:00:00Z");
        StoredMessage oldDelivered = append(partition, "a", ancient);
        StoredMessage oldDead = append(partition, "b", ancient);
        StoredMessage pending = append(partition, "c", ancient);
        StoredMessage recent = append(partition, "d", ancient);
        assertThat(store().markDelivered(oldDelivered, TOKEN, ancient.plusSeconds(1))).isTrue();
        assertThat(store().markDead(oldDead, TOKEN, ancient.plusSeconds(1), "gone")).isTrue();
        assertThat(store().markDelivered(recent, TOKEN, NOW)).isTrue();

        Instant cutoff = ancient.plus(Duration.ofDays(1));
        assertThat(store().deleteFinished(MessageStatus.DELIVERED, cutoff, 1000)).isEqualTo(1);
        assertThat(store().find(oldDelivered.id())).isEmpty();
        assertThat(store().find(oldDead.id())).isPresent();
        assertThat(store().deleteFinished(MessageStatus.DEAD, cutoff, 1000)).isEqualTo(1);
        assertThat(store().find(oldDead.id())).isEmpty();
        assertThat(store().find(pending.id())).isPresent();
        assertThat(store().find(recent.id())).isPresent();
    }
}
