package dev.quark.actor;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.temporal.ChronoUnit;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

import org.jspecify.annotations.Nullable;
import org.springframework.scheduling.support.CronExpression;

/**
 * When a reminder ticks: once, at a fixed period, or at the instants of a cron expression in a time zone,
 * optionally limited to a number of ticks and an end instant. Immutable; every method returns a new schedule.
 * <pre>{@code
 * ReminderSchedule.once(Duration.ofMinutes(30));                        // one tick in 30 minutes
 * ReminderSchedule.every(Duration.ofMillis(250)).times(40);             // 40 ticks, 250 ms apart
 * ReminderSchedule.every(Duration.ofHours(1)).startingAt(tomorrowNine).until(endOfMonth);
 * ReminderSchedule.cron("0 0 9 1 * *", ZoneId.of("Europe/Paris"));      // 09:00 Paris time, every 1st
 * }</pre>
 * Times are kept to the millisecond. A periodic reminder's ticks are {@code first + n * period}, whatever
 * their delivery took; a cron reminder's are the expression's instants (Spring's {@link CronExpression}: six
 * fields starting with the seconds, or a macro such as {@code @monthly}). A schedule without a first tick
 * starts one period after registration, or at the expression's first instant after registration. Mistakes fail
 * here, with an {@link IllegalArgumentException} naming the value; whether the end lies after the first tick is
 * checked on registration, when the first tick is known.
 */
public final class ReminderSchedule {

    private final @Nullable Duration dueIn;

    private final @Nullable Instant dueAt;

    private final @Nullable Duration period;

    private final @Nullable String cron;

    private final @Nullable ZoneId zone;

    /** At most this many ticks; 0 for no limit. */
    private final long maxTicks;

    private final @Nullable Instant endAt;

    private ReminderSchedule(@Nullable Duration dueIn, @Nullable Instant dueAt, @Nullable Duration period,
            @Nullable String cron, @Nullable ZoneId zone, long maxTicks, @Nullable Instant endAt) {
        this.dueIn = dueIn;
        this.dueAt = dueAt;
        this.period = period;
        this.cron = cron;
        this.zone = zone;
        this.maxTicks = maxTicks;
        this.endAt = endAt;
    }

    /**
     * Returns a schedule that ticks once, after a delay.
     * @param dueIn how long after registration, not negative
     * @return the schedule
     * @throws IllegalArgumentException if the delay is negative
     */
    public static ReminderSchedule once(Duration dueIn) {
        return new ReminderSchedule(dueTime(dueIn), null, null, null, null, 1, null);
    }

    /**
     * Returns a schedule that ticks once, at an instant; an instant in the past ticks at once.
     * @param dueAt when
     * @return the schedule
     */
    public static ReminderSchedule onceAt(Instant dueAt) {
        return new ReminderSchedule(null, instant("due time", dueAt), null, null, null, 1, null);
    }

    /**
     * Returns a schedule that ticks every {@code period}, the first time one period after registration unless
     * {@link #startingIn(Duration)} or {@link #startingAt(Instant)} says otherwise.
     * @param period the time between two ticks: at least one millisecond, in whole milliseconds
     * @return the schedule
     * @throws IllegalArgumentException if the period is not positive or not whole milliseconds
     */
    public static ReminderSchedule every(Duration period) {
        Objects.requireNonNull(period, "period must not be null");
        if (period.compareTo(Duration.ofMillis(1)) < 0) {
            throw new IllegalArgumentException("Reminder period must be at least 1 ms, was " + period);
        }
        if (!period.truncatedTo(ChronoUnit.MILLIS).equals(period)) {
            throw new IllegalArgumentException("Reminder period must be a whole number of milliseconds, was " + period);
        }
        return new ReminderSchedule(null, null, period, null, null, 0, null);
    }

    /**
     * Returns a schedule that ticks at the instants a cron expression gives in a time zone, the first time at
     * its first instant after registration (or after {@link #startingAt(Instant)}).
     * @param expression a Spring cron expression: six fields ({@code second minute hour day-of-month month
     * day-of-week}) or a macro ({@code @yearly}, {@code @monthly}, {@code @weekly}, {@code @daily},
     * {@code @hourly})
     * @param zone the zone the expression's fields are read in
     * @return the schedule
     * @throws IllegalArgumentException naming the expression when it is not valid
     */
    public static ReminderSchedule cron(String expression, ZoneId zone) {
        Objects.requireNonNull(expression, "cron expression must not be null");
        Objects.requireNonNull(zone, "zone must not be null");
        try {
            CronExpression.parse(expression);
        }
        catch (IllegalArgumentException ex) {
            throw new IllegalArgumentException("Invalid cron expression '" + expression + "': " + ex.getMessage(), ex);
        }
        return new ReminderSchedule(null, null, null, expression, zone, 0, null);
    }

    /**
     * Returns this schedule with its first tick a delay after registration; for a cron schedule, its first
     * instant at or after that.
     * @param dueIn how long after registration, not negative
     * @return the new schedule
     */
    public ReminderSchedule startingIn(Duration dueIn) {
        return new ReminderSchedule(dueTime(dueIn), null, this.period, this.cron, this.zone, this.maxTicks,
                this.endAt);
    }

    /**
     * Returns this schedule with its first tick at an instant; for a cron schedule, its first instant at or
     * after that. An instant in the past ticks at once, then the schedule goes on from it.
     * @param dueAt the first tick
     * @return the new schedule
     */
    public ReminderSchedule startingAt(Instant dueAt) {
        return new ReminderSchedule(null, instant("due time", dueAt), this.period, this.cron, this.zone,
                this.maxTicks, this.endAt);
    }

    /**
     * Returns this schedule limited to a number of ticks: ticks skipped while a previous one still ran, or
     * missed while no silo ran the reminder, count too. The reminder is removed after the last.
     * @param count at least 1
     * @return the new schedule
     * @throws IllegalArgumentException if the count is not positive, or above 1 for a one-shot schedule
     */
    public ReminderSchedule times(long count) {
        if (count < 1) {
            throw new IllegalArgumentException("Reminder repeat count must be at least 1, was " + count);
        }
        if (!isPeriodic() && count != 1) {
            throw new IllegalArgumentException("A one-shot reminder ticks once; cannot repeat it " + count + " times");
        }
        return new ReminderSchedule(this.dueIn, this.dueAt, this.period, this.cron, this.zone, count, this.endAt);
    }

    /**
     * Returns this schedule with no tick after an instant. The reminder is removed after its last tick.
     * @param endAt the last instant a tick may be scheduled at
     * @return the new schedule
     */
    public ReminderSchedule until(Instant endAt) {
        return new ReminderSchedule(this.dueIn, this.dueAt, this.period, this.cron, this.zone, this.maxTicks,
                instant("end", endAt));
    }

    /**
     * Returns whether the schedule may tick more than once.
     * @return {@code true} for a period or a cron expression
     */
    public boolean isPeriodic() {
        return this.period != null || this.cron != null;
    }

    /**
     * Returns the delay of the first tick after registration, when the schedule was given one.
     * @return the delay, empty when the first tick is an instant or follows from the period or expression
     */
    public Optional<Duration> dueIn() {
        return Optional.ofNullable(this.dueIn);
    }

    /**
     * Returns the instant of the first tick, when given one; the schedule of a registered reminder always has
     * it.
     * @return the instant, empty when the first tick is a delay or follows from the period or expression
     */
    public Optional<Instant> dueAt() {
        return Optional.ofNullable(this.dueAt);
    }

    /**
     * Returns the fixed period.
     * @return the period, empty for a one-shot or cron schedule
     */
    public Optional<Duration> period() {
        return Optional.ofNullable(this.period);
    }

    /**
     * Returns the cron expression.
     * @return the expression, empty unless this is a cron schedule
     */
    public Optional<String> cronExpression() {
        return Optional.ofNullable(this.cron);
    }

    /**
     * Returns the zone the cron expression is read in.
     * @return the zone, empty unless this is a cron schedule
     */
    public Optional<ZoneId> zone() {
        return Optional.ofNullable(this.zone);
    }

    /**
     * Returns the most ticks the schedule has.
     * @return the count: 1 for a one-shot schedule, empty when a periodic schedule has no limit
     */
    public OptionalLong maxTicks() {
        return (this.maxTicks > 0) ? OptionalLong.of(this.maxTicks) : OptionalLong.empty();
    }

    /**
     * Returns the last instant a tick may be scheduled at.
     * @return the end, empty when none was set
     */
    public Optional<Instant> endAt() {
        return Optional.ofNullable(this.endAt);
    }

    private static Duration dueTime(Duration dueIn) {
        Objects.requireNonNull(dueIn, "due time must not be null");
        if (dueIn.isNegative()) {
            throw new IllegalArgumentException("Reminder due time must not be negative, was " + dueIn);
        }
        return Duration.ofMillis(dueIn.toMillis());
    }

    private static Instant instant(String what, Instant instant) {
        Objects.requireNonNull(instant, what + " must not be null");
        return Instant.ofEpochMilli(instant.toEpochMilli());
    }

    @Override
    public boolean equals(@Nullable Object other) {
        return this == other || (other instanceof ReminderSchedule schedule && Objects.equals(this.dueIn, schedule.dueIn)
                && Objects.equals(this.dueAt, schedule.dueAt) && Objects.equals(this.period, schedule.period)
                && Objects.equals(this.cron, schedule.cron) && Objects.equals(this.zone, schedule.zone)
                && this.maxTicks == schedule.maxTicks && Objects.equals(this.endAt, schedule.endAt));
    }

    @Override
    public int hashCode() {
        return Objects.hash(this.dueIn, this.dueAt, this.period, this.cron, this.zone, this.maxTicks, this.endAt);
    }

    @Override
    public String toString() {
        StringBuilder text = new StringBuilder();
        if (this.cron != null) {
            text.append("cron '").append(this.cron).append("' in ").append(this.zone);
        }
        else if (this.period != null) {
            text.append("every ").append(this.period);
        }
        else {
            text.append("once");
        }
        if (this.dueAt != null) {
            text.append(", first at ").append(this.dueAt);
        }
        else if (this.dueIn != null) {
            text.append(", first in ").append(this.dueIn);
        }
        if (this.maxTicks > 0 && isPeriodic()) {
            text.append(", ").append(this.maxTicks).append(" times");
        }
        if (this.endAt != null) {
            text.append(", until ").append(this.endAt);
        }
        return text.toString();
    }
}
