package dev.quark.jobs.store;

import dev.quark.jobs.JobId;
import org.jspecify.annotations.Nullable;

/**
 * A job a store found to claim, before its lease is acquired.
 *
 * @param id the job
 * @param type its type
 * @param owner the worker that ran its latest attempt, or {@code null}
 */
public record ClaimCandidate(JobId id, String type, @Nullable String owner) {
}
