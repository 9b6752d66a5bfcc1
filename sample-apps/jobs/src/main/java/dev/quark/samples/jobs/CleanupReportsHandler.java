package dev.quark.samples.jobs;

import java.time.Clock;

import dev.quark.jobs.JobContext;
import dev.quark.jobs.JobHandler;
import dev.quark.jobs.JobType;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Component;

/**
 * Deletes the reports published longer ago than the payload says; enqueued by the recurring clean-up
 * ({@link RecurringCleanup}).
 */
@Component
@JobType(CleanupReportsHandler.TYPE)
class CleanupReportsHandler implements JobHandler<CleanupReports> {

    static final String TYPE = "cleanup-reports";

    private final ReportArchive archive;

    private final Clock clock;

    CleanupReportsHandler(ReportArchive archive, ObjectProvider<Clock> clock) {
        this.archive = archive;
        this.clock = clock.getIfUnique(Clock::systemUTC);
    }

    @Override
    public void handle(CleanupReports cleanup, JobContext context) {
        int deleted = this.archive.deletePublishedBefore(this.clock.instant().minus(cleanup.maxAge()));
        context.log().info("deleted {} reports published more than {} ago", deleted, cleanup.maxAge());
    }
}
