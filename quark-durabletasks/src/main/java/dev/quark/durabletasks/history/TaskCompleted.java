package dev.quark.durabletasks.history;

import java.time.Instant;
import java.util.Objects;

import org.jspecify.annotations.Nullable;

/**
 * An activity returned.
 *
 * @param timestamp when it was recorded
 * @param taskId the task's number
 * @param result the result as JSON
 */
public record TaskCompleted(Instant timestamp, int taskId, @Nullable String result) implements HistoryEvent {

    /**
     * Validates the event.
     */
    public TaskCompleted {
        Objects.requireNonNull(timestamp, "timestamp must not be null");
    }
}
