package dev.quark.samples.jobs;

import dev.quark.jobs.RecurringJobRequest;
import dev.quark.jobs.Schedule;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Declares the recurring clean-up: Quark schedules it at start-up on every node, and enqueues its job once per
 * instant across all of them.
 */
@Configuration(proxyBeanMethods = false)
class RecurringCleanup {

    static final String ID = "nightly-report-cleanup";

    @Bean
    RecurringJobRequest nightlyReportCleanup(ReportProperties properties) {
        ReportProperties.Cleanup cleanup = properties.cleanup();
        Schedule schedule = (cleanup.every() != null) ? Schedule.every(cleanup.every())
                : Schedule.cron(cleanup.cron(), cleanup.zone());
        return RecurringJobRequest.of(ID, CleanupReportsHandler.TYPE, new CleanupReports(cleanup.maxAge()), schedule);
    }
}
