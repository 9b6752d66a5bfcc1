package dev.quark.reminder.memory;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;

import dev.quark.lease.FencingToken;
import dev.quark.reminder.DueReminders;
import dev.quark.reminder.ReminderBucketSet;
import dev.quark.reminder.ReminderBuckets;
import dev.quark.reminder.ReminderChange;
import dev.quark.reminder.ReminderChangesTrimmedException;
import dev.quark.reminder.ReminderEntry;
import dev.quark.reminder.ReminderKey;
import dev.quark.reminder.ReminderTable;
import dev.quark.reminder.ReminderTick;
import dev.quark.reminder.ReminderUpdate;
import dev.quark.runtime.ActorAddress;
import org.jspecify.annotations.Nullable;

/**
 * Keeps reminders in this JVM: the default table when no backend is configured, and the one tests use. Each
 * bucket has its reminders ordered by fire time, like the other tables; they are lost when the JVM stops, so
 * this table keeps reminders across deactivations but not across restarts.
 * <p>
 * It tracks changes ({@link #changes}): each bucket has a change version and, per reminder registered or removed,
 * the version and time of its last change. Each registration or removal trims its bucket's entries older than
 * {@link ReminderTable#CHANGE_RETENTION} on the table's clock (at most {@link ReminderTable#TRIM_BATCH}), oldest first,
 * and keeps the highest version it trimmed: a read of changes after an earlier version fails with
 * {@link ReminderChangesTrimmedException}.
 * <p>
 * Each reminder is one {@link ReminderSlot} for as long as its registration is stored: an advance after a tick
 * moves the slot within its bucket and updates its tick in place, so that firing a reminder leaves one object that
 * lives until its next tick, the bucket set's node (about 40 bytes), instead of an entry, a tick, index nodes and an
 * actor map (about 320 bytes): with 100,000 reminders on a short period such objects are young at every collection and
 * copied by each young pause. {@link ReminderEntry} objects are made only for what a read returns.
 * A read of a slice of fire times seeks to its start rather than walking the reminders that fire earlier.
 */
public final class InMemoryReminderTable implements ReminderTable {

    // Guarded by this.

    private final Map<ReminderKey, ReminderSlot> entries = new HashMap<>();

    private final Map<ActorAddress, TreeMap<String, ReminderSlot>> byActor = new HashMap<>();

    private final List<TreeSet<ReminderSlot>> byBucket = new ArrayList<>(ReminderBuckets.COUNT);

    /** The ordinal of the next slot: ties of fire time within a bucket keep the order of registration. */
    private long nextOrdinal;

    private final long[] stamps = new long[ReminderBuckets.COUNT];

    private final long[] versions = new long[ReminderBuckets.COUNT];

    /** Per bucket: its reminders registered or removed, by the version of their last change. */
    private final List<TreeMap<Long, Change>> changeLog = new ArrayList<>(ReminderBuckets.COUNT);

    private final Map<ReminderKey, Long> changedAt = new HashMap<>();

    /** Per bucket: the highest version whose change entry was trimmed. */
    private final long[] trimmed = new long[ReminderBuckets.COUNT];

    private final Clock clock;

    /**
     * Creates an empty table on the system clock.
     */
    public InMemoryReminderTable() {
        this(Clock.systemUTC());
    }

    /**
     * Creates an empty table whose change entries age on a clock.
     * @param clock the clock that dates changes, for their trimming
     */
    public InMemoryReminderTable(Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock must not be null");
        for (int bucket = 0; bucket < ReminderBuckets.COUNT; bucket++) {
            this.byBucket.add(new TreeSet<>(ReminderSlot.BY_FIRE_TIME));
            this.changeLog.add(new TreeMap<>());
        }
    }

    @Override
    public synchronized void save(ReminderEntry entry) {
        remove(entry.key());
        put(entry);
        changed(entry.key());
    }

    @Override
    public synchronized Optional<ReminderEntry> find(ReminderKey key) {
        ReminderSlot slot = this.entries.get(key);
        return (slot != null) ? Optional.of(slot.toEntry()) : Optional.empty();
    }

    @Override
    public synchronized List<ReminderEntry> list(ActorAddress actor) {
        TreeMap<String, ReminderSlot> reminders = this.byActor.get(actor);
        if (reminders == null) {
            return List.of();
        }
        List<ReminderEntry> read = new ArrayList<>(reminders.size());
        reminders.values().forEach((slot) -> read.add(slot.toEntry()));
        return List.copyOf(read);
    }

    @Override
    public synchronized boolean delete(ReminderKey key) {
        if (remove(key) == null) {
            return false;
        }
        changed(key);
        return true;
    }

    @Override
    public synchronized DueReminders due(ReminderBucketSet buckets, Instant before, int limit) {
        int perBucket = DueReminders.perBucketLimit(limit, buckets.size());
        List<List<ReminderEntry>> read = new ArrayList<>();
        for (int bucket : buckets.toArray()) {
            read.add(firstOf(this.byBucket.get(bucket).headSet(ReminderSlot.probe(before), false), perBucket + 1));
        }
        return DueReminders.merge(read, perBucket, before, limit);
    }

    @Override
    public synchronized DueReminders due(ReminderBucketSet buckets, Instant from, Instant before, int limit) {
        int perBucket = DueReminders.perBucketLimit(limit, buckets.size());
        List<List<ReminderEntry>> read = new ArrayList<>();
        for (int bucket : buckets.toArray()) {
            TreeSet<ReminderSlot> slots = this.byBucket.get(bucket);
            read.add((from.isBefore(before))
                    ? firstOf(slots.subSet(ReminderSlot.probe(from), true, ReminderSlot.probe(before), false), perBucket + 1)
                    : List.of());
        }
        return DueReminders.merge(read, perBucket, before, limit);
    }

    /** Returns the entries of the first slots of a bucket's slice, in fire-time order. */
    private static List<ReminderEntry> firstOf(NavigableSet<ReminderSlot> slots, int most) {
        List<ReminderEntry> read = new ArrayList<>();
        for (ReminderSlot slot : slots) {
            if (read.size() == most) {
                break;
            }
            read.add(slot.toEntry());
        }
        return read;
    }

    @Override
    public synchronized long[] versions(ReminderBucketSet buckets) {
        long[] read = new long[ReminderBuckets.COUNT];
        for (int bucket : buckets.toArray()) {
            read[bucket] = this.versions[bucket];
        }
        return read;
    }

    @Override
    public synchronized List<ReminderChange> changes(ReminderBucketSet buckets, long[] after, int perBucket) {
        List<ReminderChange> read = new ArrayList<>();
        List<Integer> behind = new ArrayList<>();
        for (int bucket : buckets.toArray()) {
            if (after[bucket] < this.trimmed[bucket]) {
                behind.add(bucket);
                continue;
            }
            int count = 0;
            for (Map.Entry<Long, Change> change : this.changeLog.get(bucket).tailMap(after[bucket], false).entrySet()) {
                if (count++ == perBucket) {
                    break;
                }
                ReminderKey key = change.getValue().key();
                ReminderSlot slot = this.entries.get(key);
                read.add(new ReminderChange(key, change.getKey(), (slot != null) ? slot.toEntry() : null));
            }
        }
        if (!behind.isEmpty()) {
            throw new ReminderChangesTrimmedException(ReminderBucketSet.of(behind));
        }
        return read;
    }

    @Override
    public synchronized ReminderBucketSet stamp(Map<Integer, FencingToken> tokens) {
        ReminderBucketSet.of(tokens.keySet());
        List<Integer> stamped = new ArrayList<>(tokens.size());
        tokens.forEach((bucket, token) -> {
            if (this.stamps[bucket] <= token.value()) {
                this.stamps[bucket] = token.value();
                stamped.add(bucket);
            }
        });
        return ReminderBucketSet.of(stamped);
    }

    @Override
    public synchronized Map<Integer, FencingToken> stamps(ReminderBucketSet buckets) {
        Map<Integer, FencingToken> stamps = new LinkedHashMap<>();
        for (int bucket : buckets.toArray()) {
            if (this.stamps[bucket] > 0) {
                stamps.put(bucket, new FencingToken(this.stamps[bucket]));
            }
        }
        return stamps;
    }

    @Override
    public synchronized int apply(List<ReminderUpdate> updates) {
        Map<ReminderKey, ReminderUpdate> last = new LinkedHashMap<>();
        updates.forEach((update) -> last.put(update.key(), update));
        int applied = 0;
        for (ReminderUpdate update : last.values()) {
            ReminderSlot stored = this.entries.get(update.key());
            FencingToken token = update.token();
            int bucket = update.key().bucket();
            if (stored == null || stored.registration() != update.registration()
                    || (token != null && this.stamps[bucket] != token.value())) {
                continue;
            }
            ReminderTick next = update.next();
            if (next == null) {
                remove(update.key());
            }
            else if (stored.isNotNewerThan(next)) {
                TreeSet<ReminderSlot> slots = this.byBucket.get(bucket);
                slots.remove(stored);
                stored.tick(next);
                slots.add(stored);
            }
            applied++;
        }
        return applied;
    }

    @Override
    public synchronized long countDue(ReminderBucketSet buckets, Instant before) {
        long count = 0;
        for (int bucket : buckets.toArray()) {
            count += this.byBucket.get(bucket).headSet(ReminderSlot.probe(before), false).size();
        }
        return count;
    }

    /**
     * Returns how many reminders the table holds.
     * @return the count
     */
    public synchronized int size() {
        return this.entries.size();
    }

    /**
     * Records a registration or removal in its bucket's change log, after trimming the bucket's entries older than
     * the retention.
     */
    private void changed(ReminderKey key) {
        int bucket = key.bucket();
        Instant now = this.clock.instant();
        TreeMap<Long, Change> log = this.changeLog.get(bucket);
        Instant cutoff = now.minus(CHANGE_RETENTION);
        for (int i = 0; i < TRIM_BATCH && !log.isEmpty() && log.firstEntry().getValue().at().isBefore(cutoff); i++) {
            Map.Entry<Long, Change> oldest = Objects.requireNonNull(log.pollFirstEntry());
            this.changedAt.remove(oldest.getValue().key());
            this.trimmed[bucket] = Math.max(this.trimmed[bucket], oldest.getKey());
        }
        long version = ++this.versions[bucket];
        Long previous = this.changedAt.put(key, version);
        if (previous != null) {
            log.remove(previous);
        }
        log.put(version, new Change(key, now));
    }

    /**
     * Returns how many change entries the table holds, in all buckets.
     * @return the count
     */
    public synchronized int changeCount() {
        return this.changedAt.size();
    }

    private void put(ReminderEntry entry) {
        ReminderSlot slot = new ReminderSlot(entry, this.nextOrdinal++);
        this.entries.put(entry.key(), slot);
        this.byActor.computeIfAbsent(entry.key().actor(), (actor) -> new TreeMap<>()).put(entry.key().name(), slot);
        this.byBucket.get(entry.bucket()).add(slot);
    }

    private @Nullable ReminderSlot remove(ReminderKey key) {
        ReminderSlot removed = this.entries.remove(key);
        if (removed != null) {
            TreeMap<String, ReminderSlot> reminders = this.byActor.get(key.actor());
            if (reminders != null) {
                reminders.remove(key.name());
                if (reminders.isEmpty()) {
                    this.byActor.remove(key.actor());
                }
            }
            this.byBucket.get(key.bucket()).remove(removed);
        }
        return removed;
    }

    @Override
    public String toString() {
        return "InMemoryReminderTable";
    }

    /** A change entry: the reminder, and when it was registered or removed. */
    private record Change(ReminderKey key, Instant at) {
    }
}
