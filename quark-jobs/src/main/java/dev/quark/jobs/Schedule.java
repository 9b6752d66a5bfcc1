package dev.quark.jobs;

import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.Objects;

import org.springframework.scheduling.support.CronExpression;

/**
 * When a recurring job runs: a cron expression in a time zone ({@link #cron}) or a fixed interval ({@link #every}).
 * A schedule has a stable text form ({@link #text()}, {@link #parse}) in which stores keep it.
 */
public sealed interface Schedule permits Schedule.Cron, Schedule.Interval {

    /**
     * Returns a cron schedule, read by Spring's {@link CronExpression}: six fields (second, minute, hour, day of
     * month, month, day of week) or a macro such as {@code @daily}.
     * @param expression the expression, for instance {@code 0 0 2 * * *} (every day at 02:00)
     * @param zone the time zone its fields are read in
     * @return the schedule
     * @throws IllegalArgumentException naming the expression when it is not a valid cron expression
     */
    static Schedule cron(String expression, ZoneId zone) {
        return new Cron(expression, zone);
    }

    /**
     * Returns a cron schedule read in UTC.
     * @param expression the expression
     * @return the schedule
     * @throws IllegalArgumentException naming the expression when it is not a valid cron expression
     */
    static Schedule cron(String expression) {
        return new Cron(expression, ZoneId.of("UTC"));
    }

    /**
     * Returns a fixed-interval schedule: the first run one interval after the job is scheduled, then one every
     * interval, counted from the previous scheduled instant (not from when the previous run ended).
     * @param interval the interval, positive
     * @return the schedule
     * @throws IllegalArgumentException naming the interval when it is not positive
     */
    static Schedule every(Duration interval) {
        return new Interval(interval);
    }

    /**
     * Reads a schedule from its {@link #text()}.
     * @param text {@code cron <zone> <expression>} or {@code every <ISO-8601 duration>}
     * @return the schedule
     * @throws IllegalArgumentException naming the text when it is not a schedule
     */
    static Schedule parse(String text) {
        Objects.requireNonNull(text, "text must not be null");
        try {
            if (text.startsWith("cron ")) {
                String rest = text.substring(5);
                int space = rest.indexOf(' ');
                if (space > 0) {
                    return new Cron(rest.substring(space + 1), ZoneId.of(rest.substring(0, space)));
                }
            }
            else if (text.startsWith("every ")) {
                return new Interval(Duration.parse(text.substring(6)));
            }
        }
        catch (DateTimeException ex) {
            throw new IllegalArgumentException("Not a schedule: '" + text + "' (" + ex.getMessage() + ")", ex);
        }
        throw new IllegalArgumentException("Not a schedule: '" + text
                + "'; expected 'cron <zone> <expression>' or 'every <ISO-8601 duration>'");
    }

    /**
     * Returns the first scheduled instant after an instant.
     * @param previous the instant, usually the previous scheduled one
     * @return the next scheduled instant, strictly after {@code previous}
     * @throws IllegalStateException when a cron expression never matches again (such as the 30th of February)
     */
    Instant nextAfter(Instant previous);

    /**
     * Returns the first scheduled instant after {@code now} in the series that continues {@code previous}: for a
     * fixed interval, {@code previous + k × interval}; for cron, the next match after {@code now}.
     * @param previous a scheduled instant, at or before {@code now}
     * @param now the instant to pass
     * @return the first scheduled instant after {@code now}
     */
    Instant firstAfter(Instant previous, Instant now);

    /**
     * Returns the schedule's text form, which {@link #parse} reads back.
     * @return {@code cron <zone> <expression>} or {@code every <ISO-8601 duration>}
     */
    String text();

    /**
     * A cron schedule in a time zone. Daylight-saving time follows Spring's {@link CronExpression}: a local time
     * that does not exist in the zone (skipped when clocks go forward) does not run that day, and a local time that
     * happens twice (when clocks go back) runs twice, once in each offset. Use UTC, or times outside 02:00-03:00,
     * for jobs that must run exactly once a day.
     *
     * @param expression the cron expression
     * @param zone the time zone its fields are read in
     */
    record Cron(String expression, ZoneId zone) implements Schedule {

        /**
         * Validates the expression.
         */
        public Cron {
            Objects.requireNonNull(expression, "expression must not be null");
            Objects.requireNonNull(zone, "zone must not be null");
            try {
                CronExpression.parse(expression);
            }
            catch (IllegalArgumentException ex) {
                throw new IllegalArgumentException("Invalid cron expression '" + expression + "': " + ex.getMessage()
                        + " (six fields: second minute hour day-of-month month day-of-week, or a macro such as @daily)",
                        ex);
            }
        }

        @Override
        public Instant nextAfter(Instant previous) {
            ZonedDateTime next = CronExpression.parse(this.expression).next(previous.atZone(this.zone));
            if (next == null) {
                throw new IllegalStateException("The cron expression '" + this.expression + "' never matches after "
                        + previous);
            }
            return next.toInstant();
        }

        @Override
        public Instant firstAfter(Instant previous, Instant now) {
            return nextAfter(now.isBefore(previous) ? previous : now);
        }

        @Override
        public String text() {
            return "cron " + this.zone.getId() + " " + this.expression;
        }
    }

    /**
     * A fixed interval.
     *
     * @param interval the interval, positive
     */
    record Interval(Duration interval) implements Schedule {

        /**
         * Validates the interval.
         */
        public Interval {
            Objects.requireNonNull(interval, "interval must not be null");
            if (interval.isZero() || interval.isNegative()) {
                throw new IllegalArgumentException("A recurring job's interval must be positive, was " + interval);
            }
        }

        @Override
        public Instant nextAfter(Instant previous) {
            return previous.plus(this.interval);
        }

        @Override
        public Instant firstAfter(Instant previous, Instant now) {
            if (now.isBefore(previous)) {
                return nextAfter(previous);
            }
            long steps = Duration.between(previous, now).dividedBy(this.interval) + 1;
            return previous.plus(this.interval.multipliedBy(steps));
        }

        @Override
        public String text() {
            return "every " + this.interval;
        }
    }
}
