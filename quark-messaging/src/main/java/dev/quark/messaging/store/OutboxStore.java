package dev.quark.messaging.store;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

import dev.quark.lease.FencingToken;
import dev.quark.messaging.MessageId;

/**
 * Keeps outbox messages, by partition, for the dispatcher that holds each partition's lease.
 * <p>
 * <b>Fencing.</b> A dispatcher that acquires a partition's lease first {@link #stamp stamps} the partition with the
 * lease's token; every later state change of a message of the partition carries the token and is refused (returns
 * {@code false}) unless the partition's stamp is that token. So once a successor stamped the partition, the writes of a
 * dispatcher that lost its lease during a pause are refused.
 * <p>
 * <b>Order.</b> {@link #nextBatch} returns pending messages in {@link StoredMessage#sequence()} order and leaves out
 * every message of a key whose earlier message waits for a retry: the key waits until that message is delivered or
 * dead-lettered.
 * <p>
 * Implementations are thread-safe. {@link #append} joins the caller's transaction where the backend has them.
 */
public interface OutboxStore {

    /**
     * Appends a message, in the caller's transaction when there is one on the store's database.
     * @param message the message
     */
    void append(NewMessage message);

    /**
     * Finds a message.
     * @param id the id
     * @return the message, or empty when there is none (never enqueued, rolled back, or deleted by retention)
     */
    Optional<StoredMessage> find(MessageId id);

    /**
     * Stamps a partition with a lease's token, unless a newer token stamped it.
     * @param partition the partition
     * @param token the token of the lease just acquired
     * @return whether the partition now carries the token
     */
    boolean stamp(int partition, FencingToken token);

    /**
     * Returns the pending messages of a partition that may be delivered now, in sequence order: every pending message
     * whose key has no pending message with a retry due after {@code now}. A store may look at a bounded number of
     * pending messages per call (Redis does) and so return fewer than {@code limit} while more wait further back, but
     * never a message of a key before that key's earlier pending messages.
     * @param partition the partition
     * @param now the dispatcher's time
     * @param limit the most messages to return
     * @return the messages
     */
    List<StoredMessage> nextBatch(int partition, Instant now, int limit);

    /**
     * Records a delivery.
     * @param message the message, pending
     * @param token the token the partition must carry
     * @param at when it was delivered
     * @return whether it was recorded; {@code false} when the partition carries another token or the message is no
     * longer pending
     */
    boolean markDelivered(StoredMessage message, FencingToken token, Instant at);

    /**
     * Records a failed attempt with a retry.
     * @param message the message, pending
     * @param token the token the partition must carry
     * @param retryAt when to try again
     * @param error what failed
     * @return whether it was recorded
     */
    boolean markRetry(StoredMessage message, FencingToken token, Instant retryAt, String error);

    /**
     * Records a failed last attempt: the message becomes a dead letter.
     * @param message the message, pending
     * @param token the token the partition must carry
     * @param at when it was given up on
     * @param error what failed
     * @return whether it was recorded
     */
    boolean markDead(StoredMessage message, FencingToken token, Instant at, String error);

    /**
     * Deletes finished messages.
     * @param status {@link MessageStatus#DELIVERED} or {@link MessageStatus#DEAD}
     * @param finishedBefore delete those finished before this instant
     * @param limit the most to delete
     * @return how many were deleted
     */
    int deleteFinished(MessageStatus status, Instant finishedBefore, int limit);

    /**
     * Counts messages.
     * @param status the status
     * @return how many messages have it
     */
    long count(MessageStatus status);

    /**
     * Returns when the oldest pending message was enqueued.
     * @return the instant, or empty when nothing is pending
     */
    Optional<Instant> oldestPending();

    /**
     * Returns dead letters, oldest first.
     * @param limit the most to return
     * @return the dead letters
     */
    List<StoredMessage> deadLetters(int limit);

    /**
     * Makes a dead letter pending again, for an operator who fixed its cause: no attempts, no retry time, no finished
     * time (its last error stays until the next attempt), and a <b>new sequence</b>, so it is delivered after every
     * message of its key pending at this moment, like a message enqueued now. It keeps its id (consumers deduplicate
     * by it), destination, key, partition, payload and enqueue time.
     * @param id the dead letter
     * @return whether it was requeued; {@code false} when there is no dead letter with that id (never there, pending,
     * delivered, or deleted by retention)
     */
    default boolean requeue(MessageId id) {
        throw new UnsupportedOperationException("Outbox store " + this + " cannot requeue dead letters");
    }

    /**
     * Requeues the dead letters of a destination, oldest first (by sequence), each as {@link #requeue}: their new
     * sequences keep their order among themselves. Same as {@link #requeueDead(String, long, int)} through every
     * sequence.
     * @param destination the destination
     * @param limit the most to requeue, at least 1
     * @return the ids requeued, in their new order
     * @throws IllegalArgumentException naming a limit below 1
     */
    default List<MessageId> requeueDead(String destination, int limit) {
        return requeueDead(destination, Long.MAX_VALUE, limit);
    }

    /**
     * Requeues the dead letters of a destination whose sequence is at most {@code throughSequence}, oldest first (by
     * sequence), each as {@link #requeue}: their new sequences keep their order among themselves. A requeued message
     * draws a sequence above {@link #lastSequence()}, so calls bounded by the last sequence taken before the first of
     * them never requeue a message twice, even when one dies again in between.
     * @param destination the destination
     * @param throughSequence the highest sequence to requeue
     * @param limit the most to requeue, at least 1
     * @return the ids requeued, in their new order
     * @throws IllegalArgumentException naming a limit below 1
     * @throws UnsupportedOperationException by default: a store implements it (and {@link #lastSequence()}) for
     * {@code DeadLetters.resendAll} to work on it
     * @see OutboxStoreArguments#requeueDead
     */
    default List<MessageId> requeueDead(String destination, long throughSequence, int limit) {
        throw new UnsupportedOperationException("Outbox store " + this + " cannot requeue dead letters");
    }

    /**
     * Returns the highest sequence drawn so far by a message that is visible (committed): every message appended or
     * requeued later draws a higher one.
     * @return the sequence, 0 when there is none
     * @throws UnsupportedOperationException by default: a store implements it (and
     * {@link #requeueDead(String, long, int)}) for {@code DeadLetters.resendAll} to work on it
     */
    default long lastSequence() {
        throw new UnsupportedOperationException("Outbox store " + this + " cannot requeue dead letters");
    }
}
