package dev.quark.durabletasks.store;

import java.time.Instant;
import java.util.Objects;

import dev.quark.durabletasks.ActivityOptions;
import org.jspecify.annotations.Nullable;

/**
 * An activity call to queue.
 *
 * @param instanceId the calling instance
 * @param execution its execution
 * @param taskId the call's task number
 * @param name the activity's name
 * @param input the input as JSON
 * @param options retries and timeouts
 * @param scheduledAt when the orchestration called it, where the schedule-to-close timeout starts
 */
public record NewActivity(String instanceId, int execution, int taskId, String name, @Nullable String input,
        ActivityOptions options, Instant scheduledAt) {

    /**
     * Validates the call.
     */
    public NewActivity {
        Objects.requireNonNull(instanceId, "instanceId must not be null");
        Objects.requireNonNull(name, "name must not be null");
        Objects.requireNonNull(options, "options must not be null");
        Objects.requireNonNull(scheduledAt, "scheduledAt must not be null");
    }

    /**
     * Returns the call's id, unique per instance, execution and task: {@code <instance>#<execution>#<task>}.
     * @return the id
     */
    public String id() {
        return ActivityWorkItem.id(this.instanceId, this.execution, this.taskId);
    }
}
