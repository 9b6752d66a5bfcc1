package dev.quark.benchmarks.reminders;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.LongAdder;

import dev.quark.lease.FencingToken;
import dev.quark.reminder.DueReminders;
import dev.quark.reminder.ReminderBucketSet;
import dev.quark.reminder.ReminderEntry;
import dev.quark.reminder.ReminderKey;
import dev.quark.reminder.ReminderTable;
import dev.quark.reminder.ReminderUpdate;
import dev.quark.runtime.ActorAddress;

/**
 * A table that counts the batches of next ticks written through it, and the writes they held, so that the
 * workload can tell how far the table keeps up with the ticks.
 */
final class CountingReminderTable implements ReminderTable {

    private final ReminderTable delegate;

    private final LongAdder batches = new LongAdder();

    private final LongAdder writes = new LongAdder();

    private final LongAdder reads = new LongAdder();

    private final LongAdder applyNanos = new LongAdder();

    CountingReminderTable(ReminderTable delegate) {
        this.delegate = delegate;
    }

    long batches() {
        return this.batches.sum();
    }

    long writes() {
        return this.writes.sum();
    }

    /** The time spent in {@link #apply(List)}, in nanoseconds. */
    long applyNanos() {
        return this.applyNanos.sum();
    }

    long reads() {
        return this.reads.sum();
    }

    @Override
    public void save(ReminderEntry entry) {
        this.delegate.save(entry);
    }

    @Override
    public Optional<ReminderEntry> find(ReminderKey key) {
        return this.delegate.find(key);
    }

    @Override
    public List<ReminderEntry> list(ActorAddress actor) {
        return this.delegate.list(actor);
    }

    @Override
    public boolean delete(ReminderKey key) {
        return this.delegate.delete(key);
    }

    @Override
    public DueReminders due(ReminderBucketSet buckets, Instant before, int limit) {
        this.reads.increment();
        return this.delegate.due(buckets, before, limit);
    }

    @Override
    public ReminderBucketSet stamp(Map<Integer, FencingToken> tokens) {
        return this.delegate.stamp(tokens);
    }

    @Override
    public int apply(List<ReminderUpdate> updates) {
        long start = System.nanoTime();
        int applied = this.delegate.apply(updates);
        this.applyNanos.add(System.nanoTime() - start);
        this.batches.increment();
        this.writes.add(updates.size());
        return applied;
    }

    @Override
    public long countDue(ReminderBucketSet buckets, Instant before) {
        return this.delegate.countDue(buckets, before);
    }

    @Override
    public String toString() {
        return this.delegate.toString();
    }
}
