package dev.quark.samples.jobs;

import dev.quark.jobs.JobContext;
import dev.quark.jobs.JobHandler;
import dev.quark.jobs.JobType;

import org.springframework.stereotype.Component;

/**
 * Renders a report of a workflow in one format; the PDF and CSV steps run at once, on any nodes.
 */
@Component
@JobType("render-report")
class RenderReportHandler implements JobHandler<RenderReport> {

    private final ReportArchive archive;

    RenderReportHandler(ReportArchive archive) {
        this.archive = archive;
    }

    @Override
    public void handle(RenderReport render, JobContext context) {
        context.progress(50, "rendering " + render.format());
        this.archive.rendered(render.reportId(), render.customer(), render.format());
        context.log().info("rendered {} as {}", render.reportId(), render.format());
    }
}
