package dev.quark.samples.jobs;

import java.util.Objects;

/**
 * The payload of a {@code render-report} job: one format of a report of a workflow.
 *
 * @param reportId the report's id
 * @param customer whose data it renders
 * @param format the format
 */
public record RenderReport(String reportId, String customer, ReportFormat format) {

    /**
     * Validates the request.
     * @throws IllegalArgumentException naming the bad value
     */
    public RenderReport {
        ReportIds.require(reportId);
        ReportIds.requireCustomer(customer);
        Objects.requireNonNull(format, "format must be one of PDF, CSV");
    }
}
