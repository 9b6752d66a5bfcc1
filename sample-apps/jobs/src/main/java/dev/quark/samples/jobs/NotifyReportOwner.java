package dev.quark.samples.jobs;

/**
 * The payload of a {@code notify-report-owner} job: the continuation of a report workflow whose fetch failed.
 *
 * @param reportId the report's id
 * @param customer whom to tell
 */
public record NotifyReportOwner(String reportId, String customer) {

    /**
     * Validates the request.
     * @throws IllegalArgumentException naming the bad value
     */
    public NotifyReportOwner {
        ReportIds.require(reportId);
        ReportIds.requireCustomer(customer);
    }
}
