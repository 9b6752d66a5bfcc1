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
 * <p>
 * One object stands for a reminder for as long as the manager knows it: a tick updates it in place (its current
 * tick, kept in primitive fields, and its place in the {@link TimingQueue}) rather than replacing it, so that firing
 * a reminder again and again allocates no new entry, and no object per reminder is made young by every tick and
 * survives the next young collection: a silo with 100,000 reminders would otherwise copy 100,000 current ticks at
 * each collection. What a tick still allocates is short-lived: the status delivered, and the write of the next tick
 * until the table took it.
 */
final class ScheduledReminder {

    /** The order of the waiting reminders: fire time, then arrival. */
    static final Comparator<ScheduledReminder> BY_FIRE_TIME = (one, other) -> {
        int bySecond = Long.compare(one.fireSecond, other.fireSecond);
        if (bySecond != 0) {
            return bySecond;
        }
        int byNano = Integer.compare(one.fireNano, other.fireNano);
        return (byNano != 0) ? byNano : Long.compare(one.sequence, other.sequence);
    };

    enum Status {

        /** In the timing queue, until its fire time. */
        WAITING,

        /** Its tick is being delivered. */
        RUNNING,

        /** Not fired from memory; kept to tell stale reads apart. */
        DONE
    }

    /**
     * The registration: key, registration number, schedule and payload. Its {@link ReminderEntry#tick() tick} is the
     * one it was read or registered with; the current one is {@link #tick()}.
     */
    ReminderEntry entry;

    // The tick to deliver next, or being delivered while RUNNING; changes only while out of the queue.

    private long scheduledSecond;

    private int scheduledNano;

    private long number;

    private int attempt;

    private long fireSecond;

    private int fireNano;

    Status status;

    long sequence;

    /** Its index in the {@link TimingQueue} while queued, {@code -1} otherwise. */
    int queueIndex = -1;

    /** The generation of the last read of the table that showed it. */
    long seenBy;

    /**
     * The generation of the last read of the table that may not know what this object knows: reads of a later
     * generation see the table as it is after this object's last change, and win over it.
     */
    long trustReadsAfter;

    /**
     * The generation at which this object took its registration: a read of a later generation that shows another
     * registration shows a newer one, even while {@link #trustReadsAfter} waits for a write of a tick.
     */
    long takenAt;

    /** A registration that replaced the reminder while its tick was running. */
    @Nullable ReminderEntry replacement;

    /**
     * Whether it is {@code DONE} only because its next tick, written by this silo, fell beyond the lookahead, or
     * because its bucket's lease looked expired when its tick fell due: it is queued again from memory once the
     * lookahead reaches that tick, while still known and its bucket owned.
     */
    boolean later;

    /**
     * Whether the reminder was removed while its tick was running: unregistered here, or found removed by another node
     * (a change or notice read meanwhile, or a full read that no longer shows it); applied when the tick ends.
     */
    boolean unregistered;

    /** The fencing token of the bucket's lease its running tick was delivered under; {@code null} without leases. */
    @Nullable FencingToken token;

    ScheduledReminder(ReminderEntry entry, Status status, long trustReadsAfter) {
        this.entry = entry;
        tick(entry.tick());
        this.status = status;
        this.trustReadsAfter = trustReadsAfter;
        this.takenAt = trustReadsAfter;
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

    /** Takes another registration, or the same one as read again, with its tick, at a generation. */
    void take(ReminderEntry taken, long generation) {
        this.entry = taken;
        this.takenAt = generation;
        tick(taken.tick());
    }

    /**
     * Returns the generation a read must be later than to win over this object: while a write of this object's
     * tick is awaited, a read that shows another registration, or the reminder removed, is newer as soon as it began
     * after this object took its own registration.
     * @param showsOther whether the read shows another registration or a removal
     */
    long readsWinAfter(boolean showsOther) {
        return (this.trustReadsAfter == Long.MAX_VALUE && showsOther) ? this.takenAt : this.trustReadsAfter;
    }

    /** Sets the current tick. */
    void tick(ReminderTick tick) {
        this.scheduledSecond = tick.scheduledAt().getEpochSecond();
        this.scheduledNano = tick.scheduledAt().getNano();
        this.number = tick.number();
        this.attempt = tick.attempt();
        this.fireSecond = tick.fireAt().getEpochSecond();
        this.fireNano = tick.fireAt().getNano();
    }

    /** Returns the current tick, made anew: a short-lived object for the delivery that asks for it. */
    ReminderTick tick() {
        Instant scheduledAt = Instant.ofEpochSecond(this.scheduledSecond, this.scheduledNano);
        Instant fireAt = (this.fireSecond == this.scheduledSecond && this.fireNano == this.scheduledNano) ? scheduledAt
                : fireAt();
        return new ReminderTick(scheduledAt, this.number, this.attempt, fireAt);
    }

    /** Returns when the current tick fires. */
    Instant fireAt() {
        return Instant.ofEpochSecond(this.fireSecond, this.fireNano);
    }

    /** Returns whether the current tick fires after an instant. */
    boolean firesAfter(Instant instant) {
        int bySecond = Long.compare(this.fireSecond, instant.getEpochSecond());
        return bySecond > 0 || (bySecond == 0 && this.fireNano > instant.getNano());
    }

    /** Returns whether the current tick fires before an instant. */
    boolean firesBefore(Instant instant) {
        int bySecond = Long.compare(this.fireSecond, instant.getEpochSecond());
        return bySecond < 0 || (bySecond == 0 && this.fireNano < instant.getNano());
    }

    ReminderKey key() {
        return this.entry.key();
    }

    @Override
    public String toString() {
        return this.status + " " + this.entry + " at " + tick();
    }
}
