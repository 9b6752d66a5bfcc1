package dev.quark.supervision;

/**
 * What a supervisor decides when a child's turn throws or its activation fails.
 */
public enum Directive {

    /** Keep the instance and its state; the next message runs on it. */
    RESUME,

    /**
     * Drop the instance ({@code onDeactivate(FAILURE)} runs) and activate a fresh one after the backoff
     * ({@code onActivate} runs, persistent state is reloaded). Messages waiting in the mailbox run on the new
     * instance.
     */
    RESTART,

    /** Deactivate the child; its next call activates a fresh instance. */
    STOP,

    /**
     * Treat the failure as the parent's own: the parent's {@code onChildEscalation} runs as a turn, which by
     * default rethrows, so the grandparent's supervision decides about the parent.
     */
    ESCALATE
}
