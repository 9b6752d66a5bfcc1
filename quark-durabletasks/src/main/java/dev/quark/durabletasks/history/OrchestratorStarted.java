package dev.quark.durabletasks.history;

import java.time.Instant;
import java.util.Objects;

/**
 * A step of the orchestration started; its timestamp is what {@code currentTime()} returns until the next step.
 *
 * @param timestamp when the step started
 */
public record OrchestratorStarted(Instant timestamp) implements HistoryEvent {

    /**
     * Validates the event.
     */
    public OrchestratorStarted {
        Objects.requireNonNull(timestamp, "timestamp must not be null");
    }
}
