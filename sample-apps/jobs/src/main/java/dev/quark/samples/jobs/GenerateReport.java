package dev.quark.samples.jobs;

/**
 * The payload of a {@code generate-report} job: one report generated in one job, in four parts.
 *
 * @param reportId the report's id, where it is published
 * @param customer whose activity it reports
 * @param months how many months back it looks, 1 to 24
 */
public record GenerateReport(String reportId, String customer, int months) {

    /**
     * Validates the request.
     * @throws IllegalArgumentException naming the bad value
     */
    public GenerateReport {
        ReportIds.require(reportId);
        ReportIds.requireCustomer(customer);
        if (months < 1 || months > 24) {
            throw new IllegalArgumentException("months must be 1 to 24, was " + months);
        }
    }
}
