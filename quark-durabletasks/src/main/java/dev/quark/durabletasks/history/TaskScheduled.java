package dev.quark.durabletasks.history;

import java.time.Instant;
import java.util.Objects;

import org.jspecify.annotations.Nullable;

/**
 * The code called an activity.
 *
 * @param timestamp when it was recorded
 * @param taskId the task's number in the execution
 * @param name the activity's name
 * @param input the input as JSON
 */
public record TaskScheduled(Instant timestamp, int taskId, String name, @Nullable String input) implements HistoryEvent {

    /**
     * Validates the event.
     */
    public TaskScheduled {
        Objects.requireNonNull(timestamp, "timestamp must not be null");
        Objects.requireNonNull(name, "name must not be null");
    }
}
