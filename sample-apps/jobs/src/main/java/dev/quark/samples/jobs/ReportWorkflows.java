package dev.quark.samples.jobs;

import java.util.List;

import dev.quark.jobs.JobWorkflow;

/**
 * The workflow that makes a report: fetch its data, then render the PDF and the CSV at once (fan-out), then
 * publish both (fan-in); when the fetch fails, tell the report's owner instead (a continuation on failure).
 *
 * <pre>
 * fetch ──┬── render-pdf ──┬── publish
 *         └── render-csv ──┘
 *   └ (fails) ── notify-owner
 * </pre>
 */
final class ReportWorkflows {

    private ReportWorkflows() {
    }

    static JobWorkflow report(String reportId, String customer) {
        return JobWorkflow.builder("report-" + ReportIds.require(reportId))
            .step("fetch", "fetch-report-data", new FetchReportData(reportId, customer))
            .step("render-pdf", "render-report", new RenderReport(reportId, customer, ReportFormat.PDF)).after("fetch")
            .step("render-csv", "render-report", new RenderReport(reportId, customer, ReportFormat.CSV)).after("fetch")
            .step("publish", "publish-report", new PublishReport(reportId, customer,
                    List.of(ReportFormat.PDF, ReportFormat.CSV)))
            .after("render-pdf", "render-csv")
            .step("notify-owner", "notify-report-owner", new NotifyReportOwner(reportId, customer))
            .afterFailureOf("fetch")
            .build();
    }
}
