package dev.quark.durabletasks.history;

import java.time.Instant;
import java.util.Objects;

import org.jspecify.annotations.Nullable;

/**
 * The code started a sub-orchestration.
 *
 * @param timestamp when it was recorded
 * @param taskId the task's number
 * @param name the orchestration's name
 * @param instanceId the child's instance id
 * @param input the input as JSON
 */
public record SubOrchestrationCreated(Instant timestamp, int taskId, String name, String instanceId, @Nullable String input) implements HistoryEvent {

    /**
     * Validates the event.
     */
    public SubOrchestrationCreated {
        Objects.requireNonNull(timestamp, "timestamp must not be null");
        Objects.requireNonNull(name, "name must not be null");
        Objects.requireNonNull(instanceId, "instanceId must not be null");
    }
}
