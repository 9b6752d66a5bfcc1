package dev.quark.durabletasks;

/**
 * What an activity attempt is part of.
 */
public interface ActivityContext {

    /**
     * Returns the orchestration instance that called the activity.
     * @return the instance id
     */
    String instanceId();

    /**
     * Returns the activity's name.
     * @return the name
     */
    String activityName();

    /**
     * Returns the number of the call in its orchestration's execution, the same on every attempt.
     * @return the task id
     */
    int taskId();

    /**
     * Returns which attempt this is.
     * @return 1 for the first attempt
     */
    int attempt();

    /**
     * Returns a key that is the same on every attempt of this call and different for every other call, for the
     * idempotency of the activity's effects (a payment provider's idempotency key, a unique constraint).
     * @return {@code <instance id>/<execution>/<task id>}
     */
    String idempotencyKey();

    /**
     * Tells the worker that this attempt is alive. With a heartbeat timeout in the call's {@link ActivityOptions}, an
     * attempt that does not heartbeat within it (from its start and from each heartbeat) is interrupted and retried as
     * its retry options say; without one, heartbeats are ignored. Cheap: call it from every iteration of a long loop.
     */
    void heartbeat();
}
