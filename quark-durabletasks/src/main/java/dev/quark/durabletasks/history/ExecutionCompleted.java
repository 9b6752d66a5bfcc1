package dev.quark.durabletasks.history;

import java.time.Instant;
import java.util.Objects;

import org.jspecify.annotations.Nullable;

/**
 * The code returned.
 *
 * @param timestamp when it was recorded
 * @param output the output as JSON
 */
public record ExecutionCompleted(Instant timestamp, @Nullable String output) implements HistoryEvent {

    /**
     * Validates the event.
     */
    public ExecutionCompleted {
        Objects.requireNonNull(timestamp, "timestamp must not be null");
    }
}
