package dev.quark.durabletasks.history;

import java.time.Instant;
import java.util.Objects;

import dev.quark.durabletasks.FailureDetails;

/**
 * The execution failed.
 *
 * @param timestamp when it was recorded
 * @param failure the failure
 */
public record ExecutionFailed(Instant timestamp, FailureDetails failure) implements HistoryEvent {

    /**
     * Validates the event.
     */
    public ExecutionFailed {
        Objects.requireNonNull(timestamp, "timestamp must not be null");
        Objects.requireNonNull(failure, "failure must not be null");
    }
}
