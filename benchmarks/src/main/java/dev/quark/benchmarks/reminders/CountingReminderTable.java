package dev.quark.benchmarks.reminders;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.LongAdder;

import dev.quark.lease.FencingToken;
import dev.quark.reminder.DueReminders;
import dev.quark.reminder.ReminderBucketSet;
import dev.quark.reminder.ReminderChange;
import dev.quark.reminder.ReminderEntry;
import dev.quark.reminder.ReminderKey;
import dev.quark.reminder.ReminderTable;
import dev.quark.reminder.ReminderUpdate;
import dev.quark.runtime.ActorAddress;
import org.jspecify.annotations.Nullable;

/**
 * A table that counts the batches of next ticks written through it, and the writes they held, so that the
 * workload can tell how far the table keeps up with the ticks; and the reads of the refreshes, with the reminders
 * (entries and changes) they returned.
 */
final class CountingReminderTable implements ReminderTable {

    private final ReminderTable delegate;

    private final LongAdder batches = new LongAdder();

    private final LongAdder writes = new LongAdder();

    private final LongAdder reads = new LongAdder();

    private final LongAdder applyNanos = new LongAdder();

    private final LongAdder rowsRead = new LongAdder();

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

    /** The reads of due reminders and of changes. */
    long reads() {
        return this.reads.sum();
    }

    /** The reminders those reads returned: entries and changes. */
    long rowsRead() {
        return this.rowsRead.sum();
    }

    @Override
    public void save(ReminderEntry entry) {
        this.delegate.save(entry);
    }

    @Override
    public void afterCommit(Runnable action) {
        this.delegate.afterCommit(action);
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
        DueReminders due = this.delegate.due(buckets, before, limit);
        this.rowsRead.add(due.entries().size());
        return due;
    }

    @Override
    public DueReminders due(ReminderBucketSet buckets, Instant from, Instant before, int limit) {
        this.reads.increment();
        DueReminders due = this.delegate.due(buckets, from, before, limit);
        this.rowsRead.add(due.entries().size());
        return due;
    }

    @Override
    public long @Nullable [] versions(ReminderBucketSet buckets) {
        return this.delegate.versions(buckets);
    }

    @Override
    public List<ReminderChange> changes(ReminderBucketSet buckets, long[] after, int perBucket) {
        this.reads.increment();
        List<ReminderChange> changes = this.delegate.changes(buckets, after, perBucket);
        this.rowsRead.add(changes.size());
        return changes;
    }

    @Override
    public ReminderBucketSet stamp(Map<Integer, FencingToken> tokens) {
        return this.delegate.stamp(tokens);
    }

    @Override
    public Map<Integer, FencingToken> stamps(ReminderBucketSet buckets) {
        return this.delegate.stamps(buckets);
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
