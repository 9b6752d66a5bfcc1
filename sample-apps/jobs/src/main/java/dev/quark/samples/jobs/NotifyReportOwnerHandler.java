package dev.quark.samples.jobs;

import dev.quark.jobs.JobContext;
import dev.quark.jobs.JobHandler;
import dev.quark.jobs.JobType;

import org.springframework.stereotype.Component;

/**
 * Tells a report's owner that its report could not be made: the continuation of a workflow whose fetch failed.
 */
@Component
@JobType("notify-report-owner")
class NotifyReportOwnerHandler implements JobHandler<NotifyReportOwner> {

    private final ReportArchive archive;

    NotifyReportOwnerHandler(ReportArchive archive) {
        this.archive = archive;
    }

    @Override
    public void handle(NotifyReportOwner notify, JobContext context) {
        this.archive.ownerNotified(notify.reportId(), notify.customer());
        context.log().info("told {} that report {} failed", notify.customer(), notify.reportId());
    }
}
