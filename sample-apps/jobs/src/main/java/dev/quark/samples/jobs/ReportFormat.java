package dev.quark.samples.jobs;

/**
 * A format a report is rendered in.
 */
public enum ReportFormat {

    /** A document to read. */
    PDF,

    /** Rows for a spreadsheet. */
    CSV
}
