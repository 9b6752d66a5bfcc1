package dev.quark.jobs.store;

import java.util.List;

import org.jspecify.annotations.Nullable;

/**
 * What a running job's handler reported, written with its progress and when it finishes.
 *
 * @param progress 0 to 100
 * @param message the progress message, or {@code null}
 * @param log the job's log lines, all of them as they are to be kept
 */
public record JobReport(int progress, @Nullable String message, List<String> log) {

    /**
     * Validates the report.
     */
    public JobReport {
        if (progress < 0 || progress > 100) {
            throw new IllegalArgumentException("Progress is 0 to 100, was " + progress);
        }
        log = List.copyOf(log);
    }
}
