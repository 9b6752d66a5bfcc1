package dev.quark.reminder;

import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;

import dev.quark.actor.Reminder;
import dev.quark.actor.ReminderSchedule;
import dev.quark.actor.ReminderStatus;
import org.jspecify.annotations.Nullable;

/**
 * A reminder as a {@link ReminderTable} stores it: its key, the registration it belongs to, its schedule and
 * payload, and its next tick.
 * <p>
 * Each registration of a reminder gets a new random {@code registration} number. Every write the tick manager
 * makes for a reminder carries the number of the registration it fired, and a table applies it only while that
 * registration is the stored one: re-registering or removing a reminder can never be undone by a late write of
 * an earlier tick.
 *
 * @param key the reminder's key
 * @param registration identifies this registration of the reminder
 * @param schedule its schedule, with the instant of its first tick ({@link ReminderSchedule#dueAt()})
 * @param payload delivered with every tick
 * @param tick its next tick
 */
@SuppressWarnings("ArrayRecordComponent") // the payload is copied in and out, and equals compares it
public record ReminderEntry(ReminderKey key, long registration, ReminderSchedule schedule, byte[] payload,
        ReminderTick tick) {

    /**
     * Validates the components and copies the payload.
     * @throws IllegalArgumentException when the schedule has no first-tick instant
     */
    public ReminderEntry {
        Objects.requireNonNull(key, "key must not be null");
        Objects.requireNonNull(schedule, "schedule must not be null");
        if (schedule.dueAt().isEmpty()) {
            throw new IllegalArgumentException("The schedule of a stored " + key + " needs the instant of its first tick, "
                    + "was " + schedule);
        }
        payload = Objects.requireNonNull(payload, "payload must not be null").clone();
        Objects.requireNonNull(tick, "tick must not be null");
    }

    /**
     * Returns a copy of the payload.
     * @return the payload's bytes
     */
    @Override
    public byte[] payload() {
        return this.payload.clone();
    }

    /**
     * Returns the bucket of the reminder.
     * @return its actor's bucket
     */
    public int bucket() {
        return this.key.bucket();
    }

    /**
     * Returns this entry with another next tick.
     * @param next the tick
     * @return the entry
     */
    public ReminderEntry withTick(ReminderTick next) {
        return new ReminderEntry(this.key, this.registration, this.schedule, this.payload, next);
    }

    /**
     * Returns what an actor receives for one tick of this reminder, copying the payload once.
     * @param delivered the tick
     * @param firedAt when it is delivered
     * @return the status
     */
    ReminderStatus status(ReminderTick delivered, Instant firedAt) {
        return new ReminderStatus(delivered.scheduledAt(), firedAt, this.payload, delivered.attempt());
    }

    /**
     * Returns the reminder as an actor sees it.
     * @return the reminder
     */
    public Reminder toReminder() {
        return new Reminder(this.key.name(), this.schedule, this.payload, this.tick.scheduledAt());
    }

    @Override
    public boolean equals(@Nullable Object other) {
        return this == other || (other instanceof ReminderEntry entry && this.key.equals(entry.key)
                && this.registration == entry.registration && this.schedule.equals(entry.schedule)
                && Arrays.equals(this.payload, entry.payload) && this.tick.equals(entry.tick));
    }

    @Override
    public int hashCode() {
        return Objects.hash(this.key, this.registration, this.schedule, Arrays.hashCode(this.payload), this.tick);
    }

    @Override
    public String toString() {
        return "ReminderEntry[" + this.key + ", registration " + Long.toHexString(this.registration) + ", "
                + this.schedule + ", " + this.tick + ", payload " + this.payload.length + " bytes]";
    }
}
