package dev.quark.samples.jobs;

import java.time.Duration;
import java.time.ZoneId;

import dev.quark.jobs.RecurringJobRequest;
import dev.quark.jobs.Schedule;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class RecurringCleanupTests {

    @Test
    void theCleanupRunsOnItsCronInItsZoneUnlessAnIntervalIsSet() {
        ReportProperties nightly = new ReportProperties(Duration.ofSeconds(2),
                new ReportProperties.Cleanup("0 0 2 * * *", ZoneId.of("Europe/Paris"), null, Duration.ofDays(7)));
        RecurringJobRequest request = new RecurringCleanup().nightlyReportCleanup(nightly);
        assertThat(request.id()).isEqualTo(RecurringCleanup.ID);
        assertThat(request.type()).isEqualTo("cleanup-reports");
        assertThat(request.schedule()).isEqualTo(Schedule.cron("0 0 2 * * *", ZoneId.of("Europe/Paris")));
        assertThat(request.payload()).isEqualTo(new CleanupReports(Duration.ofDays(7)));

        ReportProperties demo = new ReportProperties(Duration.ofSeconds(2),
                new ReportProperties.Cleanup("0 0 2 * * *", ZoneId.of("Europe/Paris"), Duration.ofSeconds(10),
                        Duration.ofDays(7)));
        assertThat(new RecurringCleanup().nightlyReportCleanup(demo).schedule())
            .isEqualTo(Schedule.every(Duration.ofSeconds(10)));
    }

    @Test
    void badPropertiesAreRejectedNamingThem() {
        assertThatIllegalArgumentException()
            .isThrownBy(() -> new ReportProperties.Cleanup("0 0 2 * * *", ZoneId.of("UTC"), Duration.ZERO, Duration.ZERO))
            .withMessage("reports.cleanup.every must be positive, was PT0S");
        assertThatIllegalArgumentException()
            .isThrownBy(() -> new ReportProperties(Duration.ofSeconds(-1),
                    new ReportProperties.Cleanup("0 0 2 * * *", ZoneId.of("UTC"), null, Duration.ZERO)))
            .withMessage("reports.render-time must not be negative, was PT-1S");
    }
}
