package dev.quark.durabletasks.history;

import java.time.Instant;
import java.util.Objects;

import org.jspecify.annotations.Nullable;

/**
 * An external event reached the instance.
 *
 * @param timestamp when it was recorded
 * @param name the event's name
 * @param payload the payload as JSON
 */
public record EventRaised(Instant timestamp, String name, @Nullable String payload) implements HistoryEvent {

    /**
     * Validates the event.
     */
    public EventRaised {
        Objects.requireNonNull(timestamp, "timestamp must not be null");
        Objects.requireNonNull(name, "name must not be null");
    }
}
