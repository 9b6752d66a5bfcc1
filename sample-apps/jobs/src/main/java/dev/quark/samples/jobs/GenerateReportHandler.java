package dev.quark.samples.jobs;

import java.time.Duration;
import java.util.List;

import dev.quark.jobs.JobContext;
import dev.quark.jobs.JobHandler;
import dev.quark.jobs.JobType;

import org.springframework.stereotype.Component;

/**
 * Generates a report in one job: reads the customer's data, renders it in four parts (each taking a quarter of
 * {@code reports.render-time}), reporting progress after each, then publishes it. Cancellable between parts.
 */
@Component
@JobType(GenerateReportHandler.TYPE)
class GenerateReportHandler implements JobHandler<GenerateReport> {

    static final String TYPE = "generate-report";

    private static final int PARTS = 4;

    private final CustomerDirectory customers;

    private final ReportArchive archive;

    private final Duration partTime;

    GenerateReportHandler(CustomerDirectory customers, ReportArchive archive, ReportProperties properties) {
        this.customers = customers;
        this.archive = archive;
        this.partTime = properties.renderTime().dividedBy(PARTS);
    }

    @Override
    public void handle(GenerateReport report, JobContext context) throws InterruptedException {
        context.log().info("attempt {}: generating report {} of {} over {} months", context.attempt(), report.reportId(),
                report.customer(), report.months());
        int rows = this.customers.rows(report.customer(), report.months());
        this.archive.fetched(report.reportId(), report.customer(), rows);
        for (int part = 1; part <= PARTS; part++) {
            context.throwIfCancellationRequested();
            Thread.sleep(this.partTime);
            context.progress(part * 100 / PARTS, "rendered part " + part + " of " + PARTS + " (" + rows + " rows)");
        }
        this.archive.published(report.reportId(), report.customer(), List.of(ReportFormat.PDF));
        context.log().info("published report {}", report.reportId());
    }
}
