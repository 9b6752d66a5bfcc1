package dev.quark.durabletasks.history;

import java.time.Instant;
import java.util.Objects;

import org.jspecify.annotations.Nullable;

/**
 * The instance was suspended: its messages wait until it is resumed.
 *
 * @param timestamp when it was recorded
 * @param reason the reason given
 */
public record ExecutionSuspended(Instant timestamp, @Nullable String reason) implements HistoryEvent {

    /**
     * Validates the event.
     */
    public ExecutionSuspended {
        Objects.requireNonNull(timestamp, "timestamp must not be null");
    }
}
