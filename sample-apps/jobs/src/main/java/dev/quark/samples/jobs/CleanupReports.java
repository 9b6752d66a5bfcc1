package dev.quark.samples.jobs;

import java.time.Duration;

/**
 * The payload of a {@code cleanup-reports} job, enqueued by the recurring clean-up.
 *
 * @param maxAge reports published longer ago than this are deleted
 */
public record CleanupReports(Duration maxAge) {

    /**
     * Validates the request.
     * @throws IllegalArgumentException naming the bad value
     */
    public CleanupReports {
        if (maxAge.isNegative()) {
            throw new IllegalArgumentException("maxAge must not be negative, was " + maxAge);
        }
    }
}
