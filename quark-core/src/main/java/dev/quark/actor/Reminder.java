package dev.quark.actor;

import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;

import org.jspecify.annotations.Nullable;

/**
 * A registered reminder, as {@link AbstractActor#getReminder(String)} and
 * {@link AbstractActor#listReminders()} return it.
 *
 * @param name the reminder's name, unique per actor
 * @param schedule its schedule, with the instant of its first tick
 * @param payload the payload it delivers with every tick, empty when none
 * @param nextTickAt the scheduled instant of the next tick it will deliver (of a tick being retried, the instant
 * of that tick)
 */
@SuppressWarnings("ArrayRecordComponent") // the payload is copied in and out, and equals compares it
public record Reminder(String name, ReminderSchedule schedule, byte[] payload, Instant nextTickAt) {

    /**
     * Validates the components and copies the payload.
     */
    public Reminder {
        Objects.requireNonNull(name, "name must not be null");
        Objects.requireNonNull(schedule, "schedule must not be null");
        payload = Objects.requireNonNull(payload, "payload must not be null").clone();
        Objects.requireNonNull(nextTickAt, "nextTickAt must not be null");
    }

    /**
     * Returns a copy of the payload.
     * @return the payload's bytes
     */
    @Override
    public byte[] payload() {
        return this.payload.clone();
    }

    @Override
    public boolean equals(@Nullable Object other) {
        return this == other || (other instanceof Reminder reminder && this.name.equals(reminder.name)
                && this.schedule.equals(reminder.schedule) && Arrays.equals(this.payload, reminder.payload)
                && this.nextTickAt.equals(reminder.nextTickAt));
    }

    @Override
    public int hashCode() {
        return Objects.hash(this.name, this.schedule, Arrays.hashCode(this.payload), this.nextTickAt);
    }

    @Override
    public String toString() {
        return "Reminder '" + this.name + "' (" + this.schedule + ", next tick at " + this.nextTickAt + ", payload "
                + this.payload.length + " bytes)";
    }
}
