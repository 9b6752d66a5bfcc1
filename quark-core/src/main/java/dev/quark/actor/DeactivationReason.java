package dev.quark.actor;

/**
 * Why an activation ends; passed to {@link AbstractActor#onDeactivate(DeactivationReason)}.
 */
public enum DeactivationReason {

    /**
     * The activation received no calls for the configured idle timeout, or, idle, was deactivated earlier
     * because the silo held more activations than its maximum or the heap was under pressure (the least
     * recently used go first). Either way it was idle: no turn ran and no message waited.
     */
    IDLE,

    /** The actor asked for it with {@link AbstractActor#deactivateOnIdle()}. */
    EXPLICIT,

    /** The runtime is shutting down. */
    SHUTDOWN,

    /** The activation is discarded after a failure. */
    FAILURE,

    /**
     * Cluster membership changed and another silo owns the actor now: it ends here so that it can be activated
     * there, with the calls that waited for it. Save what the next activation must see.
     */
    HANDOFF,

    /**
     * The activation is dropped without running its code: this silo was declared dead and its actors live
     * elsewhere now, so whatever it would save could overwrite what their new activations wrote.
     * {@code onDeactivate} is not called with this reason; activation hooks see it in {@code afterDeactivate}
     * and must only release what they hold, never write.
     */
    DROPPED
}
