package dev.quark.actor;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class ReminderScheduleTests {

    @Test
    void oneShotTicksOnceAfterItsDelay() {
        ReminderSchedule schedule = ReminderSchedule.once(Duration.ofSeconds(30));
        assertThat(schedule.isPeriodic()).isFalse();
        assertThat(schedule.dueIn()).contains(Duration.ofSeconds(30));
        assertThat(schedule.maxTicks()).hasValue(1);
        assertThat(schedule).hasToString("once, first in PT30S");
    }

    @Test
    void periodicScheduleKeepsSubSecondPeriodsAndItsLimits() {
        Instant end = Instant.parse("2026-02-01T00:00:00Z");
        ReminderSchedule schedule = ReminderSchedule.every(Duration.ofMillis(250)).times(40).until(end);
        assertThat(schedule.period()).contains(Duration.ofMillis(250));
        assertThat(schedule.maxTicks()).hasValue(40);
        assertThat(schedule.endAt()).contains(end);
        assertThat(schedule).hasToString("every PT0.25S, 40 times, until 2026-02-01T00:00:00Z");
        assertThat(schedule).isEqualTo(ReminderSchedule.every(Duration.ofMillis(250)).times(40).until(end));
    }

    @Test
    void cronScheduleKeepsItsExpressionAndZone() {
        ReminderSchedule schedule = ReminderSchedule.cron("0 0 9 1 * *", ZoneId.of("Europe/Paris"));
        assertThat(schedule.cronExpression()).contains("0 0 9 1 * *");
        assertThat(schedule.zone()).contains(ZoneId.of("Europe/Paris"));
        assertThat(schedule.isPeriodic()).isTrue();
        assertThat(schedule.maxTicks()).isEmpty();
    }

    @Test
    void instantsAreKeptToTheMillisecond() {
        Instant precise = Instant.parse("2026-01-01T00:00:00.123456789Z");
        assertThat(ReminderSchedule.onceAt(precise).dueAt()).contains(Instant.parse("2026-01-01T00:00:00.123Z"));
    }

    @Test
    void negativeDueTimeIsRefusedNamingIt() {
        assertThatIllegalArgumentException().isThrownBy(() -> ReminderSchedule.once(Duration.ofSeconds(-1)))
            .withMessage("Reminder due time must not be negative, was PT-1S");
        assertThatIllegalArgumentException()
            .isThrownBy(() -> ReminderSchedule.every(Duration.ofSeconds(1)).startingIn(Duration.ofMillis(-5)))
            .withMessageContaining("was PT-0.005S");
    }

    @Test
    void periodBelowOneMillisecondOrNegativeIsRefused() {
        assertThatIllegalArgumentException().isThrownBy(() -> ReminderSchedule.every(Duration.ofSeconds(-10)))
            .withMessage("Reminder period must be at least 1 ms, was PT-10S");
        assertThatIllegalArgumentException().isThrownBy(() -> ReminderSchedule.every(Duration.ZERO))
            .withMessage("Reminder period must be at least 1 ms, was PT0S");
        assertThatIllegalArgumentException().isThrownBy(() -> ReminderSchedule.every(Duration.ofNanos(1_500_000)))
            .withMessage("Reminder period must be a whole number of milliseconds, was PT0.0015S");
    }

    @Test
    void invalidCronExpressionIsRefusedNamingTheExpression() {
        assertThatIllegalArgumentException().isThrownBy(() -> ReminderSchedule.cron("0 0 25 * * *", ZoneOffset.UTC))
            .withMessageStartingWith("Invalid cron expression '0 0 25 * * *': ");
        assertThatIllegalArgumentException().isThrownBy(() -> ReminderSchedule.cron("every monday", ZoneOffset.UTC))
            .withMessageStartingWith("Invalid cron expression 'every monday': ");
    }

    @Test
    void repeatCountMustBePositiveAndOneForAOneShot() {
        assertThatIllegalArgumentException().isThrownBy(() -> ReminderSchedule.every(Duration.ofSeconds(1)).times(0))
            .withMessage("Reminder repeat count must be at least 1, was 0");
        assertThatIllegalArgumentException().isThrownBy(() -> ReminderSchedule.once(Duration.ZERO).times(3))
            .withMessage("A one-shot reminder ticks once; cannot repeat it 3 times");
        assertThat(ReminderSchedule.once(Duration.ZERO).times(1).maxTicks()).hasValue(1);
    }
}
