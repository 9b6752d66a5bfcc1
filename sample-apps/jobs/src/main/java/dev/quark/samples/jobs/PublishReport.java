package dev.quark.samples.jobs;

import java.util.List;

/**
 * The payload of a {@code publish-report} job: the last step of a report workflow, once every format is rendered.
 *
 * @param reportId the report's id
 * @param customer whose report it is
 * @param formats the formats it publishes
 */
public record PublishReport(String reportId, String customer, List<ReportFormat> formats) {

    /**
     * Validates the request.
     * @throws IllegalArgumentException naming the bad value
     */
    public PublishReport {
        ReportIds.require(reportId);
        ReportIds.requireCustomer(customer);
        formats = List.copyOf(formats);
        if (formats.isEmpty()) {
            throw new IllegalArgumentException("formats must not be empty");
        }
    }
}
