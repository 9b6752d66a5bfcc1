package dev.quark.runtime.internal;

/**
 * The states of an activation and the moves between them; {@code docs/concepts.md} draws the diagram.
 * <p>
 * {@code CREATING -> ACTIVATING -> ACTIVE -> DEACTIVATING -> DEACTIVATED} is the usual life. An activation
 * whose instance cannot be created or activated either ends ({@code ACTIVATING -> DEACTIVATED}) or, under a
 * supervisor that restarts it, waits for the restart ({@code ACTIVATING -> RESTARTING}); a supervisor
 * restarts an active one with {@code ACTIVE -> RESTARTING -> ACTIVATING}. An activation asked to end
 * before its first message ran, or during a restart's backoff, goes to {@code DEACTIVATING} directly.
 */
enum ActivationLifecycle {

    /** In the catalog, without an instance: the first message will create it. */
    CREATING,

    /** Creating the instance and running the activation hooks and {@code onActivate()}. */
    ACTIVATING,

    /** Running turns. */
    ACTIVE,

    /** The instance was dropped by a supervisor's restart; a new one follows after the backoff. */
    RESTARTING,

    /** Running {@code onDeactivate} and the hooks; messages that arrive wait for the successor. */
    DEACTIVATING,

    /** Ended and out of the catalog; its waiting messages went to its successor. */
    DEACTIVATED;

    /**
     * Returns the next state, checking that the move is one the activation may make.
     * @throws IllegalStateException for a move the state machine does not have
     */
    ActivationLifecycle moveTo(ActivationLifecycle next) {
        if (!canMoveTo(next)) {
            throw new IllegalStateException("An activation cannot move from " + this + " to " + next);
        }
        return next;
    }

    boolean canMoveTo(ActivationLifecycle next) {
        return switch (this) {
            case CREATING -> next == ACTIVATING || next == DEACTIVATING;
            case ACTIVATING -> next == ACTIVE || next == RESTARTING || next == DEACTIVATED;
            case ACTIVE -> next == RESTARTING || next == DEACTIVATING;
            case RESTARTING -> next == ACTIVATING || next == DEACTIVATING;
            case DEACTIVATING -> next == DEACTIVATED;
            case DEACTIVATED -> false;
        };
    }

    /** Whether messages may start turns: the instance exists or the first message will create it. */
    boolean runsTurns() {
        return this == CREATING || this == ACTIVATING || this == ACTIVE;
    }

    /** Whether the activation has begun to end, so it takes no new timers. */
    boolean isEnding() {
        return this == DEACTIVATING || this == DEACTIVATED;
    }

    /** Whether the actor counts as active: running turns, or between the instances of a restart. */
    boolean isActive() {
        return this == ACTIVE || this == RESTARTING;
    }
}
