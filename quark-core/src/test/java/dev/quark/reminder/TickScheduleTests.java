package dev.quark.reminder;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;

import dev.quark.actor.ReminderSchedule;
import dev.quark.runtime.ActorAddress;
import org.junit.jupiter.api.Test;

import org.springframework.scheduling.support.CronExpression;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class TickScheduleTests {

    private static final Instant NOW = Instant.parse("2026-01-15T10:00:00Z");

    private static final ReminderKey KEY = new ReminderKey(new ActorAddress("Account", "alice"), "fee");

    @Test
    void firstTickOfAPeriodicScheduleIsOnePeriodAfterRegistrationUnlessGiven() {
        assertThat(TickSchedule.resolve(KEY, ReminderSchedule.every(Duration.ofMinutes(5)), NOW).dueAt())
            .contains(NOW.plus(Duration.ofMinutes(5)));
        assertThat(TickSchedule
            .resolve(KEY, ReminderSchedule.every(Duration.ofMinutes(5)).startingIn(Duration.ofSeconds(3)), NOW)
            .dueAt()).contains(NOW.plusSeconds(3));
        assertThat(TickSchedule.resolve(KEY, ReminderSchedule.once(Duration.ZERO), NOW).dueAt()).contains(NOW);
    }

    @Test
    void firstTickOfACronScheduleIsItsFirstInstantAfterRegistrationInItsZone() {
        ReminderSchedule monthly = ReminderSchedule.cron("0 0 9 1 * *", ZoneId.of("Europe/Paris"));
        assertThat(TickSchedule.resolve(KEY, monthly, NOW).dueAt()).contains(Instant.parse("2026-02-01T08:00:00Z"));
        assertThat(TickSchedule.resolve(KEY, monthly.startingAt(Instant.parse("2026-02-01T08:00:00Z")), NOW).dueAt())
            .as("at or after the given first tick").contains(Instant.parse("2026-02-01T08:00:00Z"));
    }

    @Test
    void endBeforeTheFirstTickIsRefusedNamingBoth() {
        ReminderSchedule schedule = ReminderSchedule.once(Duration.ofHours(1)).until(NOW.plusSeconds(60));
        assertThatIllegalArgumentException().isThrownBy(() -> TickSchedule.resolve(KEY, schedule, NOW))
            .withMessage("The reminder 'fee' of Account/alice would end at 2026-01-15T10:01:00Z, before its first tick "
                    + "at 2026-01-15T11:00:00Z");
    }

    @Test
    void cronExpressionWithoutAnyInstantLeftIsRefused() {
        ReminderSchedule never = ReminderSchedule.cron("0 0 0 30 2 *", ZoneOffset.UTC);
        assertThatIllegalArgumentException().isThrownBy(() -> TickSchedule.resolve(KEY, never, NOW))
            .withMessageContaining("The cron expression '0 0 0 30 2 *' of the reminder 'fee' of Account/alice has no "
                    + "instant after");
    }

    @Test
    void nextPeriodicTickFollowsTheDeliveredOne() {
        ReminderEntry entry = entry(ReminderSchedule.every(Duration.ofSeconds(10)).startingAt(NOW), NOW, 1);
        TickSchedule.Following following = TickSchedule.following(entry, NOW, NOW.plusMillis(20));
        assertThat(following.next()).isEqualTo(ReminderTick.first(NOW.plusSeconds(10), 2));
        assertThat(following.missed()).isZero();
        assertThat(following.skipped()).isZero();
    }

    @Test
    void ticksThatFellDueWhileTheDeliveryRanAreSkipped() {
        ReminderEntry entry = entry(ReminderSchedule.every(Duration.ofMillis(100)).startingAt(NOW), NOW, 1);
        TickSchedule.Following following = TickSchedule.following(entry, NOW, NOW.plusMillis(250));
        assertThat(following.next()).isEqualTo(ReminderTick.first(NOW.plusMillis(300), 4));
        assertThat(following.skipped()).isEqualTo(2);
        assertThat(following.missed()).isZero();
    }

    @Test
    void ticksAlreadyDueWhenAnOverdueTickWasDeliveredAreMissedNotDelivered() {
        ReminderEntry entry = entry(ReminderSchedule.every(Duration.ofMinutes(1)).startingAt(NOW), NOW, 1);
        Instant recovered = NOW.plus(Duration.ofHours(1)).plusSeconds(30);
        TickSchedule.Following following = TickSchedule.following(entry, recovered, recovered.plusMillis(5));
        assertThat(following.next()).isEqualTo(ReminderTick.first(NOW.plus(Duration.ofMinutes(61)), 62));
        assertThat(following.missed()).isEqualTo(60);
        assertThat(following.skipped()).isZero();
    }

    @Test
    void repeatCountAndEndStopTheSchedule() {
        ReminderSchedule three = ReminderSchedule.every(Duration.ofSeconds(1)).startingAt(NOW).times(3);
        assertThat(TickSchedule.following(entry(three, NOW.plusSeconds(1), 2), NOW.plusSeconds(1), NOW.plusSeconds(1))
            .next()).isEqualTo(ReminderTick.first(NOW.plusSeconds(2), 3));
        assertThat(TickSchedule.following(entry(three, NOW.plusSeconds(2), 3), NOW.plusSeconds(2), NOW.plusSeconds(2))
            .next()).isNull();
        ReminderSchedule ending = ReminderSchedule.every(Duration.ofSeconds(1)).startingAt(NOW).until(NOW.plusMillis(1500));
        assertThat(TickSchedule.following(entry(ending, NOW.plusSeconds(1), 2), NOW.plusSeconds(1), NOW.plusSeconds(1))
            .next()).isNull();
        TickSchedule.Following overdue = TickSchedule.following(entry(three, NOW, 1), NOW.plusSeconds(60),
                NOW.plusSeconds(60));
        assertThat(overdue.next()).isNull();
        assertThat(overdue.missed()).as("only ticks of the schedule count").isEqualTo(2);
    }

    @Test
    void oneShotHasNoNextTick() {
        ReminderEntry entry = entry(ReminderSchedule.onceAt(NOW), NOW, 1);
        assertThat(TickSchedule.following(entry, NOW, NOW).next()).isNull();
    }

    @Test
    void cronTicksFollowTheCalendarAndCountMissedMonths() {
        ReminderSchedule monthly = ReminderSchedule.cron("@monthly", ZoneOffset.UTC)
            .startingAt(Instant.parse("2026-02-01T00:00:00Z"));
        ReminderEntry february = entry(monthly, Instant.parse("2026-02-01T00:00:00Z"), 1);
        TickSchedule.Following onTime = TickSchedule.following(february, Instant.parse("2026-02-01T00:00:00Z"),
                Instant.parse("2026-02-01T00:00:01Z"));
        assertThat(onTime.next()).isEqualTo(ReminderTick.first(Instant.parse("2026-03-01T00:00:00Z"), 2));
        TickSchedule.Following late = TickSchedule.following(february, Instant.parse("2026-05-10T00:00:00Z"),
                Instant.parse("2026-05-10T00:00:01Z"));
        assertThat(late.next()).isEqualTo(ReminderTick.first(Instant.parse("2026-06-01T00:00:00Z"), 5));
        assertThat(late.missed()).isEqualTo(3);
    }

    /**
     * A reminder ticking every second left alone for 30 days (2.6 million instants, far past the steps taken one by
     * one) goes on at the first instant after the delivery, with the tick number and the counts it would have had
     * stepping through every instant: a repeat count still ends it at its last tick.
     */
    @Test
    void aCronCatchUpAfterAMonthJumpsToTheNextInstantWithExactCountsWhenTheExpressionRepeatsEveryHour() {
        Instant first = Instant.parse("2026-01-01T00:00:00Z");
        long month = Duration.ofDays(30).toSeconds();
        Instant recovered = first.plusSeconds(month);
        Instant ended = recovered.plusMillis(500);
        ReminderSchedule everySecond = ReminderSchedule.cron("* * * * * *", ZoneOffset.UTC).startingAt(first);

        TickSchedule.Following following = TickSchedule.following(entry(everySecond, first, 1), recovered, ended);
        assertThat(following.next()).isEqualTo(ReminderTick.first(recovered.plusSeconds(1), month + 2));
        assertThat(following.missed()).isEqualTo(month);
        assertThat(following.skipped()).isZero();

        ReminderEntry lastTickPassed = entry(everySecond.times(month + 1), first, 1);
        assertThat(TickSchedule.following(lastTickPassed, recovered, ended).next()).as("ticks 2 to %d passed", month + 1)
            .isNull();
        assertThat(TickSchedule.following(lastTickPassed, recovered, ended).missed()).isEqualTo(month);
        ReminderEntry oneTickLeft = entry(everySecond.times(month + 2), first, 1);
        assertThat(TickSchedule.following(oneTickLeft, recovered, ended).next())
            .isEqualTo(ReminderTick.first(recovered.plusSeconds(1), month + 2));

        Instant startedLate = first.plus(Duration.ofDays(10));
        TickSchedule.Following longDelivery = TickSchedule.following(entry(everySecond, first, 1), startedLate, ended);
        assertThat(longDelivery.missed()).as("due when the delivery started").isEqualTo(Duration.ofDays(10).toSeconds());
        assertThat(longDelivery.skipped()).as("fell due while it ran").isEqualTo(Duration.ofDays(20).toSeconds());

        ReminderEntry endingMidway = entry(everySecond.until(first.plus(Duration.ofDays(15))), first, 1);
        TickSchedule.Following ended15 = TickSchedule.following(endingMidway, recovered, ended);
        assertThat(ended15.next()).isNull();
        assertThat(ended15.missed()).isEqualTo(Duration.ofDays(15).toSeconds());
    }

    /**
     * A catch-up of an expression whose instants come in clusters counts every instant it passed over: a reminder
     * every minute of working hours, its silo down from Friday 15:00 to Monday 09:30, passed over the 119 instants
     * left on Friday and the 31 of Monday morning, not the 3,926 minutes of the weekend, so a repeat count ends it at
     * its last tick, neither early nor late.
     */
    @Test
    void aCronCatchUpOfClusteredInstantsCountsThemExactlyForARepeatCount() {
        Instant friday = Instant.parse("2026-01-02T15:00:00Z");
        Instant monday = Instant.parse("2026-01-05T09:30:00Z");
        ReminderSchedule workingMinutes = ReminderSchedule.cron("0 * 9-16 * * MON-FRI", ZoneOffset.UTC)
            .startingAt(friday);
        assertThat(stepped("0 * 9-16 * * MON-FRI", ZoneOffset.UTC, friday, monday)).isEqualTo(150);

        TickSchedule.Following goesOn = TickSchedule.following(entry(workingMinutes.times(152), friday, 1), monday,
                monday.plusMillis(20));
        assertThat(goesOn.next()).isEqualTo(ReminderTick.first(monday.plusSeconds(60), 152));
        assertThat(goesOn.missed()).isEqualTo(150);
        assertThat(goesOn.skipped()).isZero();

        TickSchedule.Following lastPassed = TickSchedule.following(entry(workingMinutes.times(151), friday, 1), monday,
                monday.plusMillis(20));
        assertThat(lastPassed.next()).as("ticks 2 to 151 passed").isNull();
        assertThat(lastPassed.missed()).isEqualTo(150);
    }

    /**
     * An expression that repeats every hour in a zone of fixed offset has the instants a catch-up passed over counted
     * by whole hours, past the bound of the instants stepped one by one too: the same tick, number and counts as
     * stepping through them all.
     */
    @Test
    void aCronCatchUpOfAnHourlyRepeatingExpressionCountsAsSteppingWould() {
        String cron = "*/7 5-40/3 * * * *";
        ZoneId india = ZoneOffset.ofHoursMinutes(5, 30);
        assertThat(TickSchedule.repeatsEveryHour(cron, india)).isTrue();
        assertThat(TickSchedule.repeatsEveryHour(cron, ZoneId.of("Europe/Paris"))).as("hours skipped and repeated")
            .isFalse();
        assertThat(TickSchedule.repeatsEveryHour("0 * 9-16 * * MON-FRI", ZoneOffset.UTC)).isFalse();
        Instant first = CronExpression.parse(cron).next(Instant.parse("2026-03-01T00:00:00Z").atZone(india)).toInstant();
        Instant started = first.plus(Duration.ofDays(30)).plusSeconds(1234);
        Instant ended = started.plus(Duration.ofDays(20)).plusMillis(321);
        ReminderSchedule schedule = ReminderSchedule.cron(cron, india).startingAt(first);
        long missed = stepped(cron, india, first, started);
        long skipped = stepped(cron, india, started, ended);
        assertThat(missed + skipped).as("more than are stepped one by one").isGreaterThan(TickSchedule.MAX_CRON_STEPS);

        TickSchedule.Following following = TickSchedule.following(entry(schedule, first, 1), started, ended);
        Instant next = CronExpression.parse(cron).next(ended.atZone(india)).toInstant();
        assertThat(following.next()).isEqualTo(ReminderTick.first(next, missed + skipped + 2));
        assertThat(following.missed()).isEqualTo(missed);
        assertThat(following.skipped()).isEqualTo(skipped);

        TickSchedule.Following limited = TickSchedule.following(entry(schedule.times(missed + 10), first, 1), started,
                ended);
        assertThat(limited.next()).isNull();
        assertThat(limited.missed()).isEqualTo(missed);
        assertThat(limited.skipped()).isEqualTo(9);
    }

    /** Counts the instants of an expression in {@code (from, to]} one by one. */
    private static long stepped(String cron, ZoneId zone, Instant from, Instant to) {
        CronExpression expression = CronExpression.parse(cron);
        long count = 0;
        ZonedDateTime at = from.atZone(zone);
        while (!(at = expression.next(at)).toInstant().isAfter(to)) {
            count++;
        }
        return count;
    }

    private static ReminderEntry entry(ReminderSchedule schedule, Instant scheduledAt, long number) {
        return new ReminderEntry(KEY, 7, schedule, new byte[0], ReminderTick.first(scheduledAt, number));
    }
}
