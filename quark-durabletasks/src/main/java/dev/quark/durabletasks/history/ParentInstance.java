package dev.quark.durabletasks.history;

import java.util.Objects;

/**
 * The orchestration that started an instance as a sub-orchestration, and where its result goes.
 *
 * @param instanceId the parent's instance id
 * @param execution the parent's execution that started the child
 * @param taskId the task number of the call in that execution
 */
public record ParentInstance(String instanceId, int execution, int taskId) {

    /**
     * Validates the parent.
     */
    public ParentInstance {
        Objects.requireNonNull(instanceId, "instanceId must not be null");
    }
}
