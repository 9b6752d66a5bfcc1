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
     * How many cron instants are stepped through, at most, to find the next tick and count those a delivery passed
     * over: up to it the tick numbers (which a repeat count limits) and the counts are exact. Past it the next tick is
     * the expression's first instant after the delivery and the tick number goes on from the last instant stepped, so
     * it is no longer exact, unless the expression repeats every hour (see {@link #HOURLY_STEPS}). It takes a
     * reminder ticking every second left alone for more than a day; the steps are taken before the tick manager's
     * lock is taken.
     */
    static final int MAX_CRON_STEPS = 100_000;

    /**
     * After how many instants stepped one by one a catch-up of an expression that repeats every hour counts the
     * rest: its seconds and minutes fields may be anything, its hours, day-of-month, month and day-of-week fields
     * are {@code *} (or {@code ?}) and its zone has a fixed offset, so every hour of the time line holds the same
     * instants and those in a span are whole hours times the instants of one hour, plus those of the less than an
     * hour left, stepped: exact, in a few hours' worth of steps at most.
     */
    static final int HOURLY_STEPS = 64;

    private static final long HOUR_SECONDS = 3600;

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
        for (int step = 0; step <= MAX_CRON_STEPS; step++) {
            if (step == HOURLY_STEPS && repeatsEveryHour(cron, zone)) {
                return followingHourly(cron, zone, at, number, missed, skipped, startedAt, endedAt, lastNumber, end);
            }
            Instant candidate = (step < MAX_CRON_STEPS) ? cronAfter(cron, zone, at) : cronAfter(cron, zone, endedAt);
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
        throw new IllegalStateException("No cron instant after " + endedAt + " within " + MAX_CRON_STEPS + " steps");
    }

    /**
     * Goes on with a catch-up of an expression that {@link #repeatsEveryHour repeats every hour} from its instant
     * {@code at}, at or before the delivery's end, with tick number {@code number}: the instants passed over are
     * counted, not stepped through.
     */
    private static Following followingHourly(String cron, ZoneId zone, Instant at, long number, long missed,
            long skipped, Instant startedAt, Instant endedAt, long lastNumber, Instant end) {
        boolean endsFirst = end.isBefore(endedAt);
        Instant limit = endsFirst ? end : endedAt;
        long passed = instantsWithin(cron, zone, at, limit);
        long passedMissed = instantsWithin(cron, zone, at, startedAt.isBefore(limit) ? startedAt : limit);
        long left = lastNumber - number;
        if (endsFirst || passed >= left) {
            long counted = Math.min(passed, left);
            long countedMissed = Math.min(passedMissed, counted);
            return new Following(null, missed + countedMissed, skipped + counted - countedMissed);
        }
        Instant next = cronAfter(cron, zone, endedAt);
        long nextNumber = number + passed + 1;
        missed += passedMissed;
        skipped += passed - passedMissed;
        if (next == null || nextNumber > lastNumber || next.isAfter(end)) {
            return new Following(null, missed, skipped);
        }
        return new Following(ReminderTick.first(next, nextNumber), missed, skipped);
    }

    /**
     * Returns whether every hour of the time line holds the same instants of an expression: its fields but seconds
     * and minutes are {@code *} or {@code ?}, and its zone keeps one offset (no hour skipped or repeated).
     */
    static boolean repeatsEveryHour(String cron, ZoneId zone) {
        String[] fields = cron.trim().split("\\s+");
        if (fields.length != 6 || !zone.getRules().isFixedOffset()) {
            return false;
        }
        for (int field = 2; field < fields.length; field++) {
            if (!fields[field].equals("*") && !fields[field].equals("?")) {
                return false;
            }
        }
        return true;
    }

    /**
     * Counts the instants of an expression that {@link #repeatsEveryHour repeats every hour} in {@code (from, to]},
     * {@code from} being one of them: whole hours from it hold as many as the hour after it, and the instants of the
     * less than an hour left are stepped through.
     */
    private static long instantsWithin(String cron, ZoneId zone, Instant from, Instant to) {
        long span = to.getEpochSecond() - from.getEpochSecond();
        if (span <= 0) {
            return 0;
        }
        long hours = span / HOUR_SECONDS;
        Instant afterHours = from.plusSeconds(hours * HOUR_SECONDS);
        long perHour = (hours > 0) ? stepped(cron, zone, from, from.plusSeconds(HOUR_SECONDS)) : 0;
        return Math.multiplyExact(hours, perHour) + stepped(cron, zone, afterHours, to);
    }

    /** Counts the instants of an expression in {@code (from, to]} one by one. */
    private static long stepped(String cron, ZoneId zone, Instant from, Instant to) {
        long count = 0;
        Instant at = cronAfter(cron, zone, from);
        while (at != null && !at.isAfter(to)) {
            count++;
            at = cronAfter(cron, zone, at);
        }
        return count;
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
