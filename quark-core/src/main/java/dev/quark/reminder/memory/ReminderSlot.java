package dev.quark.reminder.memory;

import java.time.Instant;
import java.util.Comparator;

import dev.quark.actor.ReminderSchedule;
import dev.quark.reminder.ReminderEntry;
import dev.quark.reminder.ReminderKey;
import dev.quark.reminder.ReminderTick;
import dev.quark.runtime.ActorAddress;

/**
 * One reminder as the {@link InMemoryReminderTable} stores it, for as long as its registration is stored: its key,
 * registration, schedule and payload, and its current tick in primitive fields, which an advance updates in place
 * (while the slot is out of its bucket's set: the tick is its sort key). Guarded by the table's lock.
 */
final class ReminderSlot {

    /** The order of a bucket: fire time, then ordinal (a fixed order of ties). */
    static final Comparator<ReminderSlot> BY_FIRE_TIME = (one, other) -> {
        int bySecond = Long.compare(one.fireSecond, other.fireSecond);
        if (bySecond != 0) {
            return bySecond;
        }
        int byNano = Integer.compare(one.fireNano, other.fireNano);
        return (byNano != 0) ? byNano : Long.compare(one.ordinal, other.ordinal);
    };

    /** What a probe carries besides its fire time: it is only compared, never read. */
    private static final ReminderEntry PROBE = new ReminderEntry(
            new ReminderKey(new ActorAddress("probe", "probe"), "probe"), 0, ReminderSchedule.onceAt(Instant.EPOCH),
            new byte[0], ReminderTick.first(Instant.EPOCH, 1));

    private final ReminderKey key;

    private final long registration;

    private final ReminderSchedule schedule;

    private final byte[] payload;

    private final long ordinal;

    private long scheduledSecond;

    private int scheduledNano;

    private long number;

    private int attempt;

    private long fireSecond;

    private int fireNano;

    ReminderSlot(ReminderEntry entry, long ordinal) {
        this.key = entry.key();
        this.registration = entry.registration();
        this.schedule = entry.schedule();
        this.payload = entry.payload();
        this.ordinal = ordinal;
        tick(entry.tick());
    }

    private ReminderSlot(Instant fireAt) {
        this(PROBE, Long.MIN_VALUE);
        this.fireSecond = fireAt.getEpochSecond();
        this.fireNano = fireAt.getNano();
    }

    /**
     * Returns a slot to seek with: it sorts before every reminder that fires at {@code fireAt} and after every one
     * that fires earlier.
     */
    static ReminderSlot probe(Instant fireAt) {
        return new ReminderSlot(fireAt);
    }

    long registration() {
        return this.registration;
    }

    /** Sets the current tick; the slot must be out of its bucket's set. */
    void tick(ReminderTick tick) {
        this.scheduledSecond = tick.scheduledAt().getEpochSecond();
        this.scheduledNano = tick.scheduledAt().getNano();
        this.number = tick.number();
        this.attempt = tick.attempt();
        this.fireSecond = tick.fireAt().getEpochSecond();
        this.fireNano = tick.fireAt().getNano();
    }

    /** Returns whether writing {@code next} over the current tick moves the reminder forward or leaves it. */
    boolean isNotNewerThan(ReminderTick next) {
        return next.number() > this.number || (next.number() == this.number && next.attempt() >= this.attempt);
    }

    /** Returns the reminder with its current tick, made anew (and its payload copied) for a read. */
    ReminderEntry toEntry() {
        Instant scheduledAt = Instant.ofEpochSecond(this.scheduledSecond, this.scheduledNano);
        Instant fireAt = (this.fireSecond == this.scheduledSecond && this.fireNano == this.scheduledNano) ? scheduledAt
                : Instant.ofEpochSecond(this.fireSecond, this.fireNano);
        return new ReminderEntry(this.key, this.registration, this.schedule, this.payload,
                new ReminderTick(scheduledAt, this.number, this.attempt, fireAt));
    }

    @Override
    public String toString() {
        return "ReminderSlot[" + this.key + " #" + this.ordinal + "]";
    }
}
