package dev.quark.benchmarks.outbox;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLongArray;

import dev.quark.lease.FencingToken;
import dev.quark.messaging.MessageId;
import dev.quark.messaging.store.MessageStatus;
import dev.quark.messaging.store.NewMessage;
import dev.quark.messaging.store.OutboxStore;
import dev.quark.messaging.store.StoredMessage;

/**
 * An outbox store that passes every call on and notes, per partition, how long the partition went without a store
 * call before each read that found messages due: from the dispatcher's start to its first read, then from the end of
 * its previous call (a lane reads its next batch right after recording the last message of its batch). That is the
 * time the partition had messages due and no delivery reading or recording them: its lane had ended (after a short
 * batch, or before 2026-12-05 after a turn of about a poll interval) and it waited for a round to start the next, or
 * its lane's next turn waited for a carrier thread. The cost is one or two {@link System#nanoTime()} calls a store
 * call.
 */
final class PartitionWaits implements OutboxStore {

    private final OutboxStore store;

    private final AtomicLongArray lastCallEnded;

    private final AtomicLongArray waited;

    PartitionWaits(OutboxStore store, int partitions, long startNanos) {
        this.store = store;
        this.lastCallEnded = new AtomicLongArray(partitions);
        this.waited = new AtomicLongArray(partitions);
        for (int p = 0; p < partitions; p++) {
            this.lastCallEnded.set(p, startNanos);
        }
    }

    /**
     * Returns the mean share of a time that the partitions waited with messages due.
     * @param nanos the time, from the start given to the constructor
     * @return the share, from 0 to 1
     */
    double meanShareOf(long nanos) {
        long total = 0;
        for (int p = 0; p < this.waited.length(); p++) {
            total += this.waited.get(p);
        }
        return (double) total / this.waited.length() / nanos;
    }

    @Override
    public List<StoredMessage> nextBatch(int partition, Instant now, int limit) {
        long start = System.nanoTime();
        List<StoredMessage> batch = this.store.nextBatch(partition, now, limit);
        if (!batch.isEmpty()) {
            this.waited.addAndGet(partition, start - this.lastCallEnded.get(partition));
        }
        this.lastCallEnded.set(partition, System.nanoTime());
        return batch;
    }

    @Override
    public boolean markDelivered(StoredMessage message, FencingToken token, Instant at) {
        boolean recorded = this.store.markDelivered(message, token, at);
        this.lastCallEnded.set(message.partition(), System.nanoTime());
        return recorded;
    }

    @Override
    public boolean markRetry(StoredMessage message, FencingToken token, Instant retryAt, String error) {
        boolean recorded = this.store.markRetry(message, token, retryAt, error);
        this.lastCallEnded.set(message.partition(), System.nanoTime());
        return recorded;
    }

    @Override
    public boolean markDead(StoredMessage message, FencingToken token, Instant at, String error) {
        boolean recorded = this.store.markDead(message, token, at, error);
        this.lastCallEnded.set(message.partition(), System.nanoTime());
        return recorded;
    }

    @Override
    public void append(NewMessage message) {
        this.store.append(message);
    }

    @Override
    public Optional<StoredMessage> find(MessageId id) {
        return this.store.find(id);
    }

    @Override
    public boolean stamp(int partition, FencingToken token) {
        return this.store.stamp(partition, token);
    }

    @Override
    public int deleteFinished(MessageStatus status, Instant finishedBefore, int limit) {
        return this.store.deleteFinished(status, finishedBefore, limit);
    }

    @Override
    public long count(MessageStatus status) {
        return this.store.count(status);
    }

    @Override
    public Optional<Instant> oldestPending() {
        return this.store.oldestPending();
    }

    @Override
    public List<StoredMessage> deadLetters(int limit) {
        return this.store.deadLetters(limit);
    }

    @Override
    public String toString() {
        return this.store.toString();
    }
}
