package dev.quark.jobs;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

class ScheduleTests {

    private static final ZoneId PARIS = ZoneId.of("Europe/Paris");

    @Test
    void aCronScheduleReadsItsFieldsInItsZone() {
        Schedule nightly = Schedule.cron("0 0 2 * * *", PARIS);
        assertThat(nightly.nextAfter(Instant.parse("2026-01-10T12:00:00Z"))).isEqualTo(Instant.parse("2026-01-11T01:00:00Z"));
        assertThat(nightly.nextAfter(Instant.parse("2026-07-10T12:00:00Z"))).isEqualTo(Instant.parse("2026-07-11T00:00:00Z"));
        assertThat(Schedule.cron("@daily").nextAfter(Instant.parse("2026-07-10T12:00:00Z")))
            .isEqualTo(Instant.parse("2026-07-11T00:00:00Z"));
    }

    @Test
    void aLocalTimeSkippedWhenClocksGoForwardDoesNotRunThatDay() {
        Schedule at0230 = Schedule.cron("0 30 2 * * *", PARIS);
        assertThat(at0230.nextAfter(Instant.parse("2026-03-28T12:00:00Z"))).isEqualTo(Instant.parse("2026-03-30T00:30:00Z"));
    }

    @Test
    void aLocalTimeThatHappensTwiceWhenClocksGoBackRunsTwice() {
        Schedule at0230 = Schedule.cron("0 30 2 * * *", PARIS);
        Instant first = at0230.nextAfter(Instant.parse("2026-10-24T12:00:00Z"));
        assertThat(first).isEqualTo(Instant.parse("2026-10-25T00:30:00Z"));
        Instant second = at0230.nextAfter(first);
        assertThat(second).isEqualTo(Instant.parse("2026-10-25T01:30:00Z"));
        assertThat(at0230.nextAfter(second)).isEqualTo(Instant.parse("2026-10-26T01:30:00Z"));
    }

    @Test
    void anIntervalCountsFromThePreviousInstant() {
        Schedule every = Schedule.every(Duration.ofMinutes(10));
        Instant start = Instant.parse("2026-01-01T00:00:00Z");
        assertThat(every.nextAfter(start)).isEqualTo(start.plusSeconds(600));
        assertThat(every.firstAfter(start, start.plusSeconds(3605))).isEqualTo(start.plusSeconds(3600 + 600));
        assertThat(every.firstAfter(start, start.plusSeconds(3600))).isEqualTo(start.plusSeconds(3600 + 600));
        assertThat(every.firstAfter(start, start.minusSeconds(5))).isEqualTo(start.plusSeconds(600));
    }

    @Test
    void theTextFormReadsBack() {
        Schedule cron = Schedule.cron("0 */5 9-17 * * MON-FRI", PARIS);
        assertThat(cron.text()).isEqualTo("cron Europe/Paris 0 */5 9-17 * * MON-FRI");
        assertThat(Schedule.parse(cron.text())).isEqualTo(cron);
        Schedule every = Schedule.every(Duration.ofSeconds(90));
        assertThat(every.text()).isEqualTo("every PT1M30S");
        assertThat(Schedule.parse(every.text())).isEqualTo(every);
    }

    @Test
    void badSchedulesAreRefusedNamingTheValue() {
        assertThatIllegalArgumentException().isThrownBy(() -> Schedule.cron("0 0 25 * * *", PARIS))
            .withMessageStartingWith("Invalid cron expression '0 0 25 * * *': ");
        assertThatIllegalArgumentException().isThrownBy(() -> Schedule.cron("every day"))
            .withMessageContaining("'every day'");
        assertThatIllegalArgumentException().isThrownBy(() -> Schedule.every(Duration.ZERO))
            .withMessageContaining("PT0S");
        assertThatIllegalArgumentException().isThrownBy(() -> Schedule.every(Duration.ofSeconds(-5)))
            .withMessageContaining("PT-5S");
        assertThatIllegalArgumentException().isThrownBy(() -> Schedule.parse("hourly"))
            .withMessageContaining("'hourly'");
        assertThatIllegalArgumentException().isThrownBy(() -> Schedule.parse("cron Mars/Olympus 0 0 * * * *"))
            .withMessageContaining("Mars/Olympus");
        assertThatIllegalStateException()
            .isThrownBy(() -> Schedule.cron("0 0 0 30 2 *").nextAfter(Instant.parse("2026-01-01T00:00:00Z")))
            .withMessageContaining("'0 0 0 30 2 *'");
    }

    @Test
    void badRecurringJobIdsAreRefusedNamingThem() {
        Schedule every = Schedule.every(Duration.ofMinutes(1));
        assertThatIllegalArgumentException().isThrownBy(() -> RecurringJobRequest.of("", "t", "p", every))
            .withMessageContaining("''");
        assertThatIllegalArgumentException().isThrownBy(() -> RecurringJobRequest.of("has space", "t", "p", every))
            .withMessageContaining("'has space'");
        assertThatIllegalArgumentException()
            .isThrownBy(() -> RecurringJobRequest.of("x".repeat(151), "t", "p", every))
            .withMessageContaining("150");
        assertThatIllegalArgumentException().isThrownBy(() -> RecurringJobRequest.of("ok", " ", "p", every))
            .withMessageContaining("' '");
    }
}
