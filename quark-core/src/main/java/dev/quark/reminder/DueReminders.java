package dev.quark.reminder;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * What {@link ReminderTable#due(ReminderBucketSet, Instant, int)} read: due reminders in fire-time order, and
 * how far the read is complete. Every reminder of the buckets read whose next tick fires before
 * {@code completeBefore} is in {@code entries}; some that fire at or after it may be too. When the read was cut
 * at its limit, {@code completeBefore} is at most the fire time of the last entry (others firing at that very
 * instant may be missing); otherwise it is the instant asked for.
 *
 * @param entries the reminders, ordered by the fire time of their next tick
 * @param completeBefore the instant before which the read is complete
 */
public record DueReminders(List<ReminderEntry> entries, Instant completeBefore) {

    /** The order of {@link #entries()}: by the fire time of their next tick. */
    public static final Comparator<ReminderEntry> BY_FIRE_TIME = (one, other) -> one.tick()
        .fireAt()
        .compareTo(other.tick().fireAt());

    /**
     * Validates and copies the components.
     */
    public DueReminders {
        entries = List.copyOf(entries);
        Objects.requireNonNull(completeBefore, "completeBefore must not be null");
    }

    /**
     * Returns how many entries to read per bucket when a read spans several, so that one read stays near its
     * limit even when every bucket has a backlog: a fair share of the limit with room to spare, at least 16, at
     * most the limit. A bucket is read up to one entry more, to tell whether it had more.
     * @param limit the limit of the whole read
     * @param buckets how many buckets it spans
     * @return the limit per bucket
     */
    public static int perBucketLimit(int limit, int buckets) {
        int share = (buckets <= 1) ? limit : 4 * (int) Math.ceil((double) limit / buckets);
        return Math.min(limit, Math.max(16, share));
    }

    /**
     * Returns the result of a read made bucket by bucket, each bucket read in fire-time order up to one entry
     * more than the {@link #perBucketLimit(int, int) per-bucket limit}.
     * @param buckets what each bucket returned
     * @param perBucketLimit the per-bucket limit they were read with
     * @param before the instant asked for
     * @param limit the most entries to return, at least 1
     * @return the earliest {@code limit} entries of all buckets, complete as far as every bucket is
     */
    public static DueReminders merge(List<List<ReminderEntry>> buckets, int perBucketLimit, Instant before, int limit) {
        Instant complete = before;
        List<ReminderEntry> all = new ArrayList<>();
        for (List<ReminderEntry> read : buckets) {
            if (read.size() > perBucketLimit) {
                Instant last = read.getLast().tick().fireAt();
                complete = last.isBefore(complete) ? last : complete;
            }
            all.addAll(read);
        }
        all.sort(BY_FIRE_TIME);
        return cut(all, complete, limit);
    }

    /**
     * Returns the result of a read cut at a limit. A table reads one entry more than the limit, to tell whether
     * there were more.
     * @param sorted the entries read, in fire-time order
     * @param completeBefore the instant before which {@code sorted} holds every due entry
     * @param limit the most entries to return, at least 1
     * @return the first {@code limit} entries; when there were more, complete before the fire time of the last
     * one kept at most
     */
    public static DueReminders cut(List<ReminderEntry> sorted, Instant completeBefore, int limit) {
        if (sorted.size() <= limit) {
            return new DueReminders(sorted, completeBefore);
        }
        List<ReminderEntry> kept = sorted.subList(0, limit);
        Instant last = kept.getLast().tick().fireAt();
        return new DueReminders(kept, last.isBefore(completeBefore) ? last : completeBefore);
    }
}
