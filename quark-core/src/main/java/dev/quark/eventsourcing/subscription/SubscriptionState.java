package dev.quark.eventsourcing.subscription;

/**
 * What a node does with a subscription.
 * <pre>
 *   STANDBY ──lease acquired──▶ FOLLOWING ◀──event handled──┐
 *      ▲                          │   │                      │
 *      ├──────lease lost──────────┤   └──handler failed──▶ RETRYING (same event, after a back-off)
 *      └──checkpoint refused──────┘ (a newer lease stamped it: taken over; lease released)
 *   any ──runner closed──▶ STOPPED      any ──thread ended by an Error──▶ FAILED (lease released)
 * </pre>
 */
public enum SubscriptionState {

    /**
     * This node does not follow the subscription: another node holds its lease, nobody does yet, or this node was
     * taken over (its checkpoint refused its lease's token) and let the lease go. It tries to take the lease every poll
     * interval.
     */
    STANDBY,

    /** This node holds the lease and follows the feed. */
    FOLLOWING,

    /**
     * This node holds the lease, and the last attempt failed (the handler, or reading the feed or saving the
     * checkpoint): the same event is tried again after a back-off.
     */
    RETRYING,

    /** The runner was closed. */
    STOPPED,

    /**
     * The subscription's thread ended while the runner runs (a {@link VirtualMachineError} such as an
     * {@link OutOfMemoryError}, or an {@link Error} out of the feed): this node released the lease and no longer follows
     * the subscription until the runner is started again; another node takes it over. The health indicator is down.
     */
    FAILED
}
