package dev.quark.actor;

/**
 * Why an activation ends; passed to {@link AbstractActor#onDeactivate(DeactivationReason)}.
 */
public enum DeactivationReason {

    /** The activation received no calls for the configured idle timeout. */
    IDLE,

    /** The actor asked for it with {@link AbstractActor#deactivateOnIdle()}. */
    EXPLICIT,

    /** The runtime is shutting down. */
    SHUTDOWN,

    /** The activation is discarded after a failure. */
    FAILURE
}
