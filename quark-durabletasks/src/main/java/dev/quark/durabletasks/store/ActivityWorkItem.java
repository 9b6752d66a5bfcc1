package dev.quark.durabletasks.store;

import java.time.Instant;
import java.util.Objects;

import dev.quark.durabletasks.ActivityOptions;
import dev.quark.lease.FencingToken;
import org.jspecify.annotations.Nullable;

/**
 * A queued activity call as a worker claims it.
 *
 * @param id the call's id
 * @param token the fencing token it was claimed with
 * @param instanceId the calling instance
 * @param execution its execution
 * @param taskId the call's task number
 * @param name the activity's name
 * @param input the input as JSON
 * @param options retries and timeouts
 * @param attempt the attempt about to be made, 1 for the first
 * @param scheduledAt when the orchestration called it
 * @param heartbeatDetails what an attempt of the call recorded with its last heartbeat (JSON), {@code null} when none
 */
public record ActivityWorkItem(String id, FencingToken token, String instanceId, int execution, int taskId,
        String name, @Nullable String input, ActivityOptions options, int attempt, Instant scheduledAt,
        @Nullable String heartbeatDetails) {

    /**
     * Validates the item.
     */
    public ActivityWorkItem {
        Objects.requireNonNull(id, "id must not be null");
        Objects.requireNonNull(token, "token must not be null");
        Objects.requireNonNull(instanceId, "instanceId must not be null");
        Objects.requireNonNull(name, "name must not be null");
        Objects.requireNonNull(options, "options must not be null");
        Objects.requireNonNull(scheduledAt, "scheduledAt must not be null");
    }

    /**
     * Returns the id of an activity call.
     * @param instanceId the calling instance
     * @param execution its execution
     * @param taskId the task number
     * @return {@code <instance>#<execution>#<task>}
     */
    public static String id(String instanceId, int execution, int taskId) {
        return instanceId + "#" + execution + "#" + taskId;
    }
}
