package dev.quark.durabletasks.history;

import java.time.Instant;
import java.util.Objects;

import dev.quark.durabletasks.FailureDetails;

/**
 * An activity failed for good: its last attempt failed, or it could not run.
 *
 * @param timestamp when it was recorded
 * @param taskId the task's number
 * @param failure the failure
 */
public record TaskFailed(Instant timestamp, int taskId, FailureDetails failure) implements HistoryEvent {

    /**
     * Validates the event.
     */
    public TaskFailed {
        Objects.requireNonNull(timestamp, "timestamp must not be null");
        Objects.requireNonNull(failure, "failure must not be null");
    }
}
