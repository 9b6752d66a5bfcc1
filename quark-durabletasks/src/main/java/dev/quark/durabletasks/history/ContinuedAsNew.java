package dev.quark.durabletasks.history;

import java.time.Instant;
import java.util.Objects;

import org.jspecify.annotations.Nullable;

/**
 * The code called {@code continueAsNew}; the next execution starts with this input.
 *
 * @param timestamp when it was recorded
 * @param input the next execution's input as JSON
 */
public record ContinuedAsNew(Instant timestamp, @Nullable String input) implements HistoryEvent {

    /**
     * Validates the event.
     */
    public ContinuedAsNew {
        Objects.requireNonNull(timestamp, "timestamp must not be null");
    }
}
