package dev.quark.reminder;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Objects;

import dev.quark.actor.ReminderSchedule;
import org.jspecify.annotations.Nullable;

/**
 * The schedule of a stored reminder as plain fields, the way a table writes it in columns or a document, and
 * reads it back.
 *
 * @param dueAt the instant of the first tick
 * @param periodMillis the fixed period in milliseconds, {@code null} unless the schedule has one
 * @param cron the cron expression, {@code null} unless the schedule has one
 * @param zone the cron expression's zone id, {@code null} unless the schedule has one
 * @param maxTicks the most ticks of a periodic schedule, {@code null} for no limit or a one-shot schedule
 * @param endAt the last instant a tick may be at, {@code null} for none
 */
public record StoredSchedule(Instant dueAt, @Nullable Long periodMillis, @Nullable String cron, @Nullable String zone,
        @Nullable Long maxTicks, @Nullable Instant endAt) {

    /**
     * Validates the components.
     */
    public StoredSchedule {
        Objects.requireNonNull(dueAt, "dueAt must not be null");
    }

    /**
     * Returns the fields of a stored reminder's schedule.
     * @param schedule a schedule with the instant of its first tick
     * @return its fields
     * @throws IllegalArgumentException when the schedule lacks the instant of its first tick
     */
    public static StoredSchedule of(ReminderSchedule schedule) {
        Instant dueAt = schedule.dueAt()
            .orElseThrow(() -> new IllegalArgumentException("A stored schedule needs its first tick, was " + schedule));
        Long period = schedule.period().map(Duration::toMillis).orElse(null);
        Long maxTicks = (schedule.isPeriodic() && schedule.maxTicks().isPresent()) ? schedule.maxTicks().getAsLong()
                : null;
        return new StoredSchedule(dueAt, period, schedule.cronExpression().orElse(null),
                schedule.zone().map(ZoneId::getId).orElse(null), maxTicks, schedule.endAt().orElse(null));
    }

    /**
     * Rebuilds the schedule.
     * @return the schedule
     * @throws IllegalArgumentException when the fields do not make a schedule (a cron expression without a zone,
     * an invalid expression or zone)
     */
    public ReminderSchedule toSchedule() {
        ReminderSchedule schedule;
        if (this.cron != null) {
            if (this.zone == null) {
                throw new IllegalArgumentException("Stored cron schedule '" + this.cron + "' has no zone");
            }
            schedule = ReminderSchedule.cron(this.cron, ZoneId.of(this.zone)).startingAt(this.dueAt);
        }
        else if (this.periodMillis != null) {
            schedule = ReminderSchedule.every(Duration.ofMillis(this.periodMillis)).startingAt(this.dueAt);
        }
        else {
            schedule = ReminderSchedule.onceAt(this.dueAt);
        }
        if (this.maxTicks != null && schedule.isPeriodic()) {
            schedule = schedule.times(this.maxTicks);
        }
        if (this.endAt != null) {
            schedule = schedule.until(this.endAt);
        }
        return schedule;
    }
}
