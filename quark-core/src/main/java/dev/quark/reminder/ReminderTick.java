package dev.quark.reminder;

import java.time.Instant;
import java.util.Objects;

/**
 * The next tick a stored reminder delivers: which instant of its schedule, and when to deliver it. The tick
 * manager rewrites it after every delivery; it is what makes delivery at least once, since a tick is replaced by
 * the next only once it was delivered.
 *
 * @param scheduledAt the instant of the schedule this tick stands for, which the actor receives
 * @param number which tick of the schedule it is, from 1; ticks skipped or missed count too
 * @param attempt which delivery of this tick comes next, from 1; more for retries of a one-shot reminder
 * @param fireAt when to deliver it: {@code scheduledAt} for a first attempt, later for a retry
 */
public record ReminderTick(Instant scheduledAt, long number, int attempt, Instant fireAt) {

    /**
     * Validates the components.
     */
    public ReminderTick {
        Objects.requireNonNull(scheduledAt, "scheduledAt must not be null");
        Objects.requireNonNull(fireAt, "fireAt must not be null");
        if (number < 1) {
            throw new IllegalArgumentException("Tick number must be at least 1, was " + number);
        }
        if (attempt < 1) {
            throw new IllegalArgumentException("Tick attempt must be at least 1, was " + attempt);
        }
    }

    /**
     * Returns the first attempt of a tick.
     * @param scheduledAt the instant of the schedule
     * @param number which tick of the schedule it is, from 1
     * @return the tick, fired at its scheduled instant
     */
    public static ReminderTick first(Instant scheduledAt, long number) {
        return new ReminderTick(scheduledAt, number, 1, scheduledAt);
    }

    /**
     * Returns whether this tick is not older than another of the same reminder: a later tick number, or the same
     * with an attempt no lower. A table refuses an advance to an older tick than the stored one, so that a write
     * that runs late cannot move a reminder back.
     * @param stored the tick stored
     * @return whether writing this tick over it moves the reminder forward (or leaves it where it is)
     */
    public boolean isNotOlderThan(ReminderTick stored) {
        return this.number > stored.number || (this.number == stored.number && this.attempt >= stored.attempt);
    }

    /**
     * Returns the next attempt of this tick.
     * @param fireAt when to make it
     * @return the tick
     */
    public ReminderTick retryAt(Instant fireAt) {
        return new ReminderTick(this.scheduledAt, this.number, this.attempt + 1, fireAt);
    }
}
