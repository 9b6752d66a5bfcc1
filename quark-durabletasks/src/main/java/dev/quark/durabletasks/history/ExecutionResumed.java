package dev.quark.durabletasks.history;

import java.time.Instant;
import java.util.Objects;

import org.jspecify.annotations.Nullable;

/**
 * The instance was resumed after a suspension.
 *
 * @param timestamp when it was recorded
 * @param reason the reason given
 */
public record ExecutionResumed(Instant timestamp, @Nullable String reason) implements HistoryEvent {

    /**
     * Validates the event.
     */
    public ExecutionResumed {
        Objects.requireNonNull(timestamp, "timestamp must not be null");
    }
}
