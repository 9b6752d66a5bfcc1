package dev.quark.reminder;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import dev.quark.lease.FencingToken;
import dev.quark.runtime.ActorAddress;

/**
 * Keeps reminders: the SPI behind {@link ReminderRegistry} and {@link ReminderTickManager}. Quark ships an
 * in-memory, a Redis and a PostgreSQL table, which all pass the same contract tests
 * ({@code ReminderTableContractTests} in {@code quark-testkit}).
 * <p>
 * Reminders are partitioned into {@link ReminderBuckets buckets} by their actor. A silo reads the reminders due
 * in the buckets it owns ({@link #due(ReminderBucketSet, Instant, int)}), fires them, and writes their next
 * ticks in batches ({@link #apply(List)}); a table keeps, per bucket, an index of the reminders by the fire time
 * of their next tick, so that a read costs what it returns rather than the size of the table.
 * <p>
 * Entries are stored and returned exactly as given; times to the millisecond. Implementations are thread-safe.
 * Failures to reach the backend surface as runtime exceptions.
 */
public interface ReminderTable {

    /**
     * Stores a reminder, replacing the one with the same key whatever its registration.
     * @param entry the reminder
     */
    void save(ReminderEntry entry);

    /**
     * Reads a reminder.
     * @param key its key
     * @return the stored reminder, empty when there is none
     */
    Optional<ReminderEntry> find(ReminderKey key);

    /**
     * Reads the reminders of an actor.
     * @param actor the actor
     * @return its reminders, ordered by name
     */
    List<ReminderEntry> list(ActorAddress actor);

    /**
     * Removes a reminder, whatever its registration.
     * @param key its key
     * @return whether there was one
     */
    boolean delete(ReminderKey key);

    /**
     * Reads the reminders of some buckets whose next tick fires before an instant, in fire-time order, at most
     * {@code limit} of them: the earliest. A table that reads bucket by bucket reads each up to one more than
     * {@link DueReminders#perBucketLimit(int, int)} and {@link DueReminders#merge(List, int, Instant, int) merges}
     * them.
     * @param buckets the buckets
     * @param before the instant, exclusive
     * @param limit the most reminders to return, at least 1
     * @return the reminders, and how far the read is complete
     */
    DueReminders due(ReminderBucketSet buckets, Instant before, int limit);

    /**
     * Stamps buckets with the fencing tokens of the leases a silo just acquired on them, in one step on the
     * backend per call (not per bucket): a bucket is stamped unless it holds a greater token already. From then
     * on, fenced updates ({@link ReminderUpdate#token()}) of that bucket apply only with exactly this token, so
     * the writes of an earlier owner that does not know it lost the bucket are refused. A silo stamps a bucket
     * before it reads the bucket's reminders, so it sees every write the earlier owner made before the stamp.
     * @param tokens the buckets and their tokens
     * @return the buckets stamped; a bucket missing from it holds a newer token, so its lease is lost
     * @throws IllegalArgumentException naming a bucket out of range
     */
    ReminderBucketSet stamp(Map<Integer, FencingToken> tokens);

    /**
     * Applies the writes of fired ticks: each records a reminder's next tick or removes it, and only while the
     * stored reminder still belongs to the update's registration; an update of a reminder that was re-registered
     * or removed meanwhile changes nothing. A fenced update applies only while its bucket's stamp is its token
     * ({@link #stamp}); an unfenced one whatever the stamp. When a batch holds several updates of one reminder, only the last
     * counts. Batches are as large as the tick manager's {@code maxBatch}; each update is atomic, the batch need
     * not be.
     * @param updates the writes
     * @return how many reminders were changed
     */
    int apply(List<ReminderUpdate> updates);

    /**
     * Counts the reminders of some buckets whose next tick fires before an instant: with the present, the
     * backlog of ticks that are late.
     * @param buckets the buckets
     * @param before the instant, exclusive
     * @return the count
     */
    long countDue(ReminderBucketSet buckets, Instant before);
}
