package dev.quark.durabletasks.history;

import java.time.Instant;
import java.util.Objects;

/**
 * A durable timer fired.
 *
 * @param timestamp when it was recorded
 * @param taskId the task's number
 * @param fireAt when it was due
 */
public record TimerFired(Instant timestamp, int taskId, Instant fireAt) implements HistoryEvent {

    /**
     * Validates the event.
     */
    public TimerFired {
        Objects.requireNonNull(timestamp, "timestamp must not be null");
        Objects.requireNonNull(fireAt, "fireAt must not be null");
    }
}
