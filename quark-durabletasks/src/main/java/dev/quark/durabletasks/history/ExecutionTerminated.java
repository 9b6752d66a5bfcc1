package dev.quark.durabletasks.history;

import java.time.Instant;
import java.util.Objects;

import org.jspecify.annotations.Nullable;

/**
 * The instance was terminated.
 *
 * @param timestamp when it was recorded
 * @param reason the reason given
 */
public record ExecutionTerminated(Instant timestamp, @Nullable String reason) implements HistoryEvent {

    /**
     * Validates the event.
     */
    public ExecutionTerminated {
        Objects.requireNonNull(timestamp, "timestamp must not be null");
    }
}
