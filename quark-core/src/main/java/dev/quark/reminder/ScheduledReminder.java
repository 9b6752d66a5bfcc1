package dev.quark.reminder;

import java.time.Instant;
import java.util.Comparator;

import dev.quark.actor.ReminderSchedule;
import dev.quark.lease.FencingToken;
import org.jspecify.annotations.Nullable;

/**
 * What a {@link ReminderTickManager} knows about one reminder of its buckets, guarded by the manager's lock.
 * <pre>
 *             read or registered, due within the lookahead
 *   (table) ──────────────────────────────────────────────▶ WAITING ──fire time──▶ RUNNING
 *      ▲                                                      ▲                      │
 *      │                                                      └──next tick soon──────┤
 *      │                                                                             │
 *      └──── DONE (next tick beyond the lookahead, last tick, unregistered) ◀────────┘
 * </pre>
 * A {@code DONE} reminder stays known until a read of the table that began after the table took its last write
 * ({@link #trustReadsAfter}): a read that began earlier may still show the tick that was just delivered, and
 * must not bring it back.
 */
final class ScheduledReminder {

    /** The order of the waiting reminders: fire time, then arrival. */
    static final Comparator<ScheduledReminder> BY_FIRE_TIME = Comparator
        .comparing((ScheduledReminder reminder) -> reminder.fireAt)
        .thenComparingLong((reminder) -> reminder.sequence);

    enum Status {

        /** In the timing queue, until its fire time. */
        WAITING,

        /** Its tick is being delivered. */
        RUNNING,

        /** Not fired from memory; kept to tell stale reads apart. */
        DONE
    }

    ReminderEntry entry;

    Status status;

    /** The fire time the reminder is queued at; changes only while it is out of the queue. */
    Instant fireAt;

    long sequence;

    /**
     * The generation of the last read of the table that may not know what this object knows: reads of a later
     * generation see the table as it is after this object's last change, and win over it.
     */
    long trustReadsAfter;

    /** A registration that replaced the reminder while its tick was running. */
    @Nullable ReminderEntry replacement;

    /** Whether the reminder was unregistered while its tick was running. */
    boolean unregistered;

    /** The fencing token of the bucket's lease its running tick was delivered under; {@code null} without leases. */
    @Nullable FencingToken token;

    ScheduledReminder(ReminderEntry entry, Status status, long trustReadsAfter) {
        this.entry = entry;
        this.status = status;
        this.fireAt = entry.tick().fireAt();
        this.trustReadsAfter = trustReadsAfter;
    }

    /**
     * Returns a reminder unknown here that was just unregistered: kept, like a done one, so that a read that
     * began before the removal cannot bring it back. Its entry only carries the key.
     */
    static ScheduledReminder forgotten(ReminderKey key, long trustReadsAfter) {
        ReminderEntry placeholder = new ReminderEntry(key, 0, ReminderSchedule.onceAt(Instant.EPOCH), new byte[0],
                ReminderTick.first(Instant.EPOCH, 1));
        return new ScheduledReminder(placeholder, Status.DONE, trustReadsAfter);
    }

    ReminderKey key() {
        return this.entry.key();
    }

    @Override
    public String toString() {
        return this.status + " " + this.entry;
    }
}
