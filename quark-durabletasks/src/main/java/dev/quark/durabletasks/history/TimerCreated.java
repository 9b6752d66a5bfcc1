package dev.quark.durabletasks.history;

import java.time.Instant;
import java.util.Objects;

/**
 * The code created a durable timer, or waited for an event with a timeout.
 *
 * @param timestamp when it was recorded
 * @param taskId the task's number
 * @param fireAt when it fires
 */
public record TimerCreated(Instant timestamp, int taskId, Instant fireAt) implements HistoryEvent {

    /**
     * Validates the event.
     */
    public TimerCreated {
        Objects.requireNonNull(timestamp, "timestamp must not be null");
        Objects.requireNonNull(fireAt, "fireAt must not be null");
    }
}
