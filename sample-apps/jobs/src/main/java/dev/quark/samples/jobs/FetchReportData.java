package dev.quark.samples.jobs;

/**
 * The payload of a {@code fetch-report-data} job, the first step of a report workflow.
 *
 * @param reportId the report's id
 * @param customer whose data it fetches
 */
public record FetchReportData(String reportId, String customer) {

    /**
     * Validates the request.
     * @throws IllegalArgumentException naming the bad value
     */
    public FetchReportData {
        ReportIds.require(reportId);
        ReportIds.requireCustomer(customer);
    }
}
