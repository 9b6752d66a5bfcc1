package dev.quark.durabletasks.history;

import java.time.Instant;
import java.util.Objects;

import org.jspecify.annotations.Nullable;

/**
 * A sub-orchestration completed.
 *
 * @param timestamp when it was recorded
 * @param taskId the task's number
 * @param result its output as JSON
 */
public record SubOrchestrationCompleted(Instant timestamp, int taskId, @Nullable String result) implements HistoryEvent {

    /**
     * Validates the event.
     */
    public SubOrchestrationCompleted {
        Objects.requireNonNull(timestamp, "timestamp must not be null");
    }
}
