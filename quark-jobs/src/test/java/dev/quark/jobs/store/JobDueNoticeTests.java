package dev.quark.jobs.store;

import java.time.Instant;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class JobDueNoticeTests {

    private static final Instant DUE = Instant.parse("2026-12-03T12:00:00.123Z");

    @Test
    void aTypeAloneIsAJobDueNowAsEarlierVersionsSentIt() {
        assertThat(JobDueNotice.parse("report.daily")).isEqualTo(new JobDueNotice("report.daily", null));
    }

    @Test
    void aTypeAndMillisecondsIsAJobDueThen() {
        String payload = JobDueNotice.later("report.daily", DUE);
        assertThat(payload).isEqualTo("report.daily " + DUE.toEpochMilli());
        assertThat(JobDueNotice.parse(payload)).isEqualTo(new JobDueNotice("report.daily", DUE));
    }

    @Test
    void aDueTimeBetweenMillisecondsIsRoundedUpSoThatNoWorkerWakesBeforeIt() {
        assertThat(JobDueNotice.parse(JobDueNotice.later("t", DUE.plusNanos(1))).dueAt()).isEqualTo(DUE.plusMillis(1));
    }

    @Test
    void aForeignPayloadIsReadAsATypeThatNoWorkerRuns() {
        assertThat(JobDueNotice.parse("some thing")).isEqualTo(new JobDueNotice("some thing", null));
        assertThat(JobDueNotice.parse(" 12")).isEqualTo(new JobDueNotice(" 12", null));
        assertThat(JobDueNotice.parse("")).isEqualTo(new JobDueNotice("", null));
    }
}
