package dev.quark.reminder;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

import dev.quark.actor.ReminderSchedule;
import org.jspecify.annotations.Nullable;

import org.springframework.scheduling.support.CronExpression;

/**
 * The arithmetic of schedules: the first tick of a new registration, and the tick that follows a delivered one.
 * <p>
 * A periodic reminder's tick {@code n} is at {@code first + (n - 1) * period}; a cron reminder's are the
 * expression's instants from the first on. After a delivery the next tick is the first one after the delivery
 * ended: ticks in between are not delivered. Those whose instant had passed when the delivery started were
 * <em>missed</em> (no silo ran the reminder then, or the silo was behind); those that fell due while it ran were
 * <em>skipped</em>, since a tick never starts while the previous one of the same reminder runs.
 */
final class TickSchedule {

    /**
     * How many cron instants are stepped through, at most, to count those a delivery passed over; past them the next
     * tick is the expression's first instant after the delivery, found in one step, and the instants in between are
     * counted by extrapolating the average gap of the stepped ones. That count is exact for an expression whose
     * instants are evenly spaced ({@code * * * * * *}, {@code 0 *&#47;5 * * * *}) and an estimate for an uneven one
     * ({@code 0 0 9 * * MON-FRI}), so the tick numbers a repeat count limits may be off by a few there after a catch-up
     * of more instants than this. Small, since the ends of ticks are recorded under the tick manager's lock: a
     * reminder ticking every second left alone for a month took 2.6 million steps there (the bound was 100,000).
     */
    static final int MAX_CRON_STEPS = 64;

    /** Parsed expressions, since parsing costs more than a step; cleared when an application uses very many. */
    private static final ConcurrentMap<String, CronExpression> PARSED = new ConcurrentHashMap<>();

    private static final int MAX_PARSED = 1024;

    private TickSchedule() {
    }

    /**
     * Resolves a schedule given at registration into the one stored, with the instant of its first tick.
     * @throws IllegalArgumentException naming the reminder when the schedule ends before its first tick, or its
     * cron expression has no instant left
     */
    static ReminderSchedule resolve(ReminderKey key, ReminderSchedule schedule, Instant now) {
        Instant first = firstTick(key, schedule, now);
        schedule.endAt().ifPresent((end) -> {
            if (end.isBefore(first)) {
                throw new IllegalArgumentException("The " + key + " would end at " + end
                        + ", before its first tick at " + first);
            }
        });
        return schedule.startingAt(first);
    }

    private static Instant firstTick(ReminderKey key, ReminderSchedule schedule, Instant now) {
        Instant given = schedule.dueAt().orElse(null);
        if (given == null && schedule.dueIn().isPresent()) {
            given = now.plus(schedule.dueIn().get());
        }
        String cron = schedule.cronExpression().orElse(null);
        if (cron != null) {
            ZoneId zone = schedule.zone().orElseThrow();
            Instant after = (given != null) ? given.minusMillis(1) : now;
            Instant first = cronAfter(cron, zone, after);
            if (first == null) {
                throw new IllegalArgumentException("The cron expression '" + cron + "' of the " + key
                        + " has no instant after " + after + " in " + zone);
            }
            return first;
        }
        if (given != null) {
            return given;
        }
        return now.plus(schedule.period().orElseThrow());
    }

    /**
     * Returns the tick that follows the one an entry holds, delivered.
     */
    static Following following(ReminderEntry entry, Instant startedAt, Instant endedAt) {
        return following(entry.schedule(), entry.tick(), startedAt, endedAt);
    }

    /**
     * Returns the tick that follows a delivered one.
     * @param schedule the reminder's schedule
     * @param delivered the tick that was delivered
     * @param startedAt when the delivery started
     * @param endedAt when it ended: the next tick is after this
     * @return the next tick, if the schedule has one, with the ticks passed over
     */
    static Following following(ReminderSchedule schedule, ReminderTick delivered, Instant startedAt, Instant endedAt) {
        long lastNumber = schedule.maxTicks().orElse(Long.MAX_VALUE);
        Instant end = schedule.endAt().orElse(Instant.MAX);
        Duration period = schedule.period().orElse(null);
        String cron = schedule.cronExpression().orElse(null);
        if (period != null) {
            return followingPeriod(schedule.dueAt().orElseThrow(), period.toMillis(), delivered, startedAt, endedAt,
                    lastNumber, end);
        }
        if (cron != null) {
            return followingCron(cron, schedule.zone().orElseThrow(), delivered, startedAt, endedAt, lastNumber, end);
        }
        return new Following(null, 0, 0);
    }

    private static Following followingPeriod(Instant first, long period, ReminderTick delivered, Instant startedAt,
            Instant endedAt, long lastNumber, Instant end) {
        long origin = first.toEpochMilli();
        long number = delivered.number() + 1;
        long elapsed = endedAt.toEpochMilli() - origin;
        if (elapsed >= 0) {
            number = Math.max(number, Math.floorDiv(elapsed, period) + 2);
        }
        long lastInSchedule = lastNumber;
        if (!end.equals(Instant.MAX)) {
            long untilEnd = end.toEpochMilli() - origin;
            lastInSchedule = Math.min(lastInSchedule, (untilEnd >= 0) ? Math.floorDiv(untilEnd, period) + 1 : 0);
        }
        long lastPassedOver = Math.min(number - 1, lastInSchedule);
        long passedOver = Math.max(0, lastPassedOver - delivered.number());
        long dueWhenStarted = startedAt.toEpochMilli() - origin;
        long lastDueWhenStarted = (dueWhenStarted >= 0) ? Math.floorDiv(dueWhenStarted, period) + 1 : 0;
        long missed = Math.max(0, Math.min(lastDueWhenStarted, lastPassedOver) - delivered.number());
        Instant at = Instant.ofEpochMilli(origin + (number - 1) * period);
        ReminderTick next = (number > lastInSchedule) ? null : ReminderTick.first(at, number);
        return new Following(next, missed, passedOver - missed);
    }

    private static Following followingCron(String cron, ZoneId zone, ReminderTick delivered, Instant startedAt,
            Instant endedAt, long lastNumber, Instant end) {
        Instant at = delivered.scheduledAt();
        long number = delivered.number();
        long missed = 0;
        long skipped = 0;
        for (int step = 0; step < MAX_CRON_STEPS; step++) {
            Instant candidate = cronAfter(cron, zone, at);
            if (candidate == null) {
                return new Following(null, missed, skipped);
            }
            number++;
            at = candidate;
            if (number > lastNumber || at.isAfter(end)) {
                return new Following(null, missed, skipped);
            }
            if (at.isAfter(endedAt)) {
                return new Following(ReminderTick.first(at, number), missed, skipped);
            }
            if (at.isAfter(startedAt)) {
                skipped++;
            }
            else {
                missed++;
            }
        }
        // Still at or before the delivery's end after every step: a long catch-up (see MAX_CRON_STEPS).
        long stepped = at.toEpochMilli() - delivered.scheduledAt().toEpochMilli();
        boolean endsFirst = end.isBefore(endedAt);
        Instant limit = endsFirst ? end : endedAt;
        long passed = instantsWithin(at, limit, stepped);
        long passedMissed = instantsWithin(at, startedAt.isBefore(limit) ? startedAt : limit, stepped);
        long left = lastNumber - number;
        if (endsFirst || passed >= left) {
            long counted = Math.min(passed, left);
            long countedMissed = Math.min(passedMissed, counted);
            return new Following(null, missed + countedMissed, skipped + counted - countedMissed);
        }
        missed += passedMissed;
        skipped += passed - passedMissed;
        number += passed + 1;
        Instant next = cronAfter(cron, zone, endedAt);
        if (next == null || number > lastNumber || next.isAfter(end)) {
            return new Following(null, missed, skipped);
        }
        return new Following(ReminderTick.first(next, number), missed, skipped);
    }

    /**
     * Estimates how many cron instants fall in {@code (from, to]} from {@link #MAX_CRON_STEPS} instants that took
     * {@code stepped} milliseconds: exact when the instants are evenly spaced.
     */
    private static long instantsWithin(Instant from, Instant to, long stepped) {
        long span = to.toEpochMilli() - from.toEpochMilli();
        if (span <= 0 || stepped <= 0) {
            return 0;
        }
        return (span < Long.MAX_VALUE / MAX_CRON_STEPS) ? span * MAX_CRON_STEPS / stepped
                : span / stepped * MAX_CRON_STEPS;
    }

    private static @Nullable Instant cronAfter(String cron, ZoneId zone, Instant after) {
        ZonedDateTime next = expression(cron).next(after.atZone(zone));
        return (next != null) ? next.toInstant() : null;
    }

    private static CronExpression expression(String cron) {
        CronExpression parsed = PARSED.get(cron);
        if (parsed == null) {
            if (PARSED.size() >= MAX_PARSED) {
                PARSED.clear();
            }
            parsed = CronExpression.parse(cron);
            PARSED.put(cron, parsed);
        }
        return parsed;
    }

    /**
     * What follows a delivered tick.
     *
     * @param next the next tick, {@code null} when the schedule has ended
     * @param missed how many ticks between the two were already due when the delivery started
     * @param skipped how many fell due while it ran
     */
    record Following(@Nullable ReminderTick next, long missed, long skipped) {

        Following {
            if (missed < 0 || skipped < 0) {
                throw new IllegalStateException("Negative tick counts: missed " + missed + ", skipped " + skipped);
            }
        }

        @Override
        public String toString() {
            return "Following[" + Objects.toString(this.next) + ", missed " + this.missed + ", skipped " + this.skipped
                    + "]";
        }
    }
}
