package dev.quark.samples.jobs;

import dev.quark.jobs.JobContext;
import dev.quark.jobs.JobHandler;
import dev.quark.jobs.JobType;

import org.springframework.stereotype.Component;

/**
 * Publishes a report of a workflow once all its formats are rendered.
 */
@Component
@JobType("publish-report")
class PublishReportHandler implements JobHandler<PublishReport> {

    private final ReportArchive archive;

    PublishReportHandler(ReportArchive archive) {
        this.archive = archive;
    }

    @Override
    public void handle(PublishReport publish, JobContext context) {
        this.archive.published(publish.reportId(), publish.customer(), publish.formats());
        context.log().info("published {} as {}", publish.reportId(), publish.formats());
    }
}
