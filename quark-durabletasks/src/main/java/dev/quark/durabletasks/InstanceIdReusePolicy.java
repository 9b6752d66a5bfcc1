package dev.quark.durabletasks;

/**
 * What scheduling an instance id that an instance has already does ({@link ScheduleOptions#idReusePolicy()}).
 */
public enum InstanceIdReusePolicy {

    /**
     * The default: an instance of the same orchestration keeps the id, whatever its status, and nothing changes, so
     * that scheduling can be retried safely; an instance of another orchestration is an
     * {@link OrchestrationAlreadyExistsException}.
     */
    IDEMPOTENT,

    /** Any instance that has the id is an {@link OrchestrationAlreadyExistsException}. */
    REJECT,

    /**
     * A finished instance (completed, failed or terminated) is purged with its history and a new one takes the id; an
     * instance that has not finished is an {@link OrchestrationAlreadyExistsException}.
     */
    ALLOW_IF_FINISHED,

    /**
     * As {@link #ALLOW_IF_FINISHED}, and an instance that has not finished is terminated first (recorded in its
     * history), then purged and replaced once a worker has recorded the termination. The client waits for that at
     * most {@link ScheduleOptions#TERMINATION_WAIT}; a worker must be running somewhere.
     */
    TERMINATE_IF_RUNNING
}
