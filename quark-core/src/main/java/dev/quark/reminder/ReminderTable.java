package dev.quark.reminder;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import dev.quark.lease.FencingToken;
import dev.quark.runtime.ActorAddress;
import org.jspecify.annotations.Nullable;

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
 * <b>Changes.</b> A table may also track, per bucket, a <em>change version</em> that grows with every registration
 * and removal ({@link #save}, {@link #delete}) and with nothing else: the writes of next ticks ({@link #apply})
 * leave it, so that a silo whose reminders keep firing learns from {@link #changes} only what others registered or
 * removed. The tick manager then reads, between full reads, only those changes and the reminders that newly fall
 * within its lookahead ({@link #due(ReminderBucketSet, Instant, Instant, int)}). A table that does not track
 * changes returns {@code null} from {@link #versions} (the default), and is read whole at every refresh.
 * <p>
 * <b>Trimming.</b> A change entry is kept per reminder (the version of its last registration or removal), so the
 * entries of removed reminders, and of one-shot reminders removed by the write of their last tick, would pile up.
 * A table that tracks changes trims, at each registration or removal in a bucket, the bucket's entries older than
 * {@link #CHANGE_RETENTION} (a bounded number per call, so that a write never does much more than its own work), and
 * records per bucket the highest version it trimmed. Entries are trimmed by age only, never because others came
 * after them: a reader that read the bucket within the retention (the tick manager does at every refresh, and reads
 * everything at each full read) needs none of the trimmed ones, and a reader behind the trimmed version is told
 * ({@link ReminderChangesTrimmedException}) and reads the bucket whole instead.
 * <p>
 * Entries are stored and returned exactly as given; times to the millisecond. Implementations are thread-safe.
 * Failures to reach the backend surface as runtime exceptions.
 */
public interface ReminderTable {

    /**
     * How long a table that tracks changes keeps a change entry at least: far longer than a tick manager's refresh
     * interval (10 s by default) and full-read interval (5 minutes by default), so that a silo that keeps running
     * never finds the changes it needs trimmed.
     */
    Duration CHANGE_RETENTION = Duration.ofHours(1);

    /** The most change entries a registration or removal trims in its bucket. */
    int TRIM_BATCH = 100;

    /**
     * Stores a reminder, replacing the one with the same key whatever its registration.
     * @param entry the reminder
     */
    void save(ReminderEntry entry);

    /**
     * Runs an action once the registrations and removals ({@link #save}, {@link #delete}) this thread just made are
     * visible to the table's other readers. By default at once: the writes of a table that joins no transaction take
     * effect when they return. A table whose writes join the caller's transaction runs it once that transaction
     * commits, and never when it rolls back (a rollback to a savepoint inside it, {@code PROPAGATION_NESTED}, is not
     * seen: the action runs when the outer transaction commits). {@link ReminderRegistry} tells its listeners (this silo's tick manager,
     * the notices to other silos) through it, so that none of them reads or fires a registration that is not
     * committed: a tick fired from it would have its next tick's write refused (the row not visible yet), and be
     * delivered again once the registration commits.
     * @param action what to run, which must not block
     */
    default void afterCommit(Runnable action) {
        action.run();
    }

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
     * Reads the reminders of some buckets whose next tick fires from one instant (inclusive) to another
     * (exclusive), in fire-time order, at most {@code limit} of them: the slice of time a tick manager's lookahead
     * newly covers. By default, a filter of {@link #due(ReminderBucketSet, Instant, int)}, which reads from the
     * start of time; a table that tracks changes reads the slice alone.
     * @param buckets the buckets
     * @param from the instant, inclusive
     * @param before the instant, exclusive
     * @param limit the most reminders to return, at least 1
     * @return the reminders, and how far the read is complete
     */
    default DueReminders due(ReminderBucketSet buckets, Instant from, Instant before, int limit) {
        DueReminders all = due(buckets, before, limit);
        return new DueReminders(all.entries().stream().filter((entry) -> !entry.tick().fireAt().isBefore(from)).toList(),
                all.completeBefore());
    }

    /**
     * Returns the change version of every bucket asked for: a number that grows with each registration and removal of
     * one of its reminders, and with nothing else. A silo reads it before a full read of the buckets, then asks
     * {@link #changes} for what came after.
     * @param buckets the buckets
     * @return the versions, indexed by bucket ({@link ReminderBuckets#COUNT} long, 0 for a bucket not asked for or
     * never changed), or {@code null} when the table does not track changes (the default)
     */
    default long @Nullable [] versions(ReminderBucketSet buckets) {
        return null;
    }

    /**
     * Reads the registrations and removals of some buckets after given change versions: per bucket, in version
     * order, at most {@code perBucket} of them, each reminder once, as it is stored now (a reminder registered,
     * removed and registered again is one change, with the last version). A reminder no longer stored (removed, or
     * removed by the write of its last tick) is a change without an entry. Change entries older than
     * {@link #CHANGE_RETENTION} may be trimmed; when a bucket was trimmed beyond the version asked for, the read may
     * miss changes of that bucket, and fails rather than return them incomplete.
     * @param buckets the buckets
     * @param after the versions already read, indexed by bucket ({@link ReminderBuckets#COUNT} long)
     * @param perBucket the most changes to read per bucket, at least 1
     * @return the changes, in bucket then version order
     * @throws ReminderChangesTrimmedException naming the buckets trimmed beyond the versions asked for: read them whole
     * @throws UnsupportedOperationException when the table does not track changes ({@link #versions} is {@code null})
     */
    default List<ReminderChange> changes(ReminderBucketSet buckets, long[] after, int perBucket) {
        throw new UnsupportedOperationException(this + " does not track changes");
    }

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
     * Reads the fencing token each of some buckets was last stamped with ({@link #stamp}). A silo whose stamp was
     * refused although its lease is still valid reads them to tell a lease store that lost its tokens (it granted a
     * token below the stamp) and raise the store's tokens above them.
     * @param buckets the buckets
     * @return the stamp of each bucket asked for that was ever stamped; a bucket never stamped is missing
     * @throws UnsupportedOperationException when the table cannot read its stamps (the default)
     */
    default Map<Integer, FencingToken> stamps(ReminderBucketSet buckets) {
        throw new UnsupportedOperationException(getClass().getName()
                + " cannot read its bucket stamps: implement ReminderTable.stamps");
    }

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
