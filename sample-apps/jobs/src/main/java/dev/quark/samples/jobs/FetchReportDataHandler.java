package dev.quark.samples.jobs;

import dev.quark.jobs.JobContext;
import dev.quark.jobs.JobHandler;
import dev.quark.jobs.JobType;

import org.springframework.stereotype.Component;

/**
 * The first step of a report workflow: reads the customer's data. Fails for good (dead letter) when the customer's
 * system is unreachable, which makes the workflow tell the report's owner.
 */
@Component
@JobType("fetch-report-data")
class FetchReportDataHandler implements JobHandler<FetchReportData> {

    private final CustomerDirectory customers;

    private final ReportArchive archive;

    FetchReportDataHandler(CustomerDirectory customers, ReportArchive archive) {
        this.customers = customers;
        this.archive = archive;
    }

    @Override
    public void handle(FetchReportData fetch, JobContext context) {
        int rows = this.customers.rows(fetch.customer(), 12);
        this.archive.fetched(fetch.reportId(), fetch.customer(), rows);
        context.log().info("fetched {} rows of {}", rows, fetch.customer());
    }
}
