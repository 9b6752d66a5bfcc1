package dev.quark.durabletasks.history;

import java.time.Instant;
import java.util.Objects;

import dev.quark.durabletasks.FailureDetails;

/**
 * A sub-orchestration failed or was terminated, or could not be created.
 *
 * @param timestamp when it was recorded
 * @param taskId the task's number
 * @param failure the failure
 */
public record SubOrchestrationFailed(Instant timestamp, int taskId, FailureDetails failure) implements HistoryEvent {

    /**
     * Validates the event.
     */
    public SubOrchestrationFailed {
        Objects.requireNonNull(timestamp, "timestamp must not be null");
        Objects.requireNonNull(failure, "failure must not be null");
    }
}
