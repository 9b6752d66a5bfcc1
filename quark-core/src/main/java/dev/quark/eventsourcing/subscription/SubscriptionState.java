package dev.quark.eventsourcing.subscription;

/**
 * What a node does with a subscription.
 * <pre>
 *   STANDBY ──lease acquired──▶ FOLLOWING ◀──event handled──┐
 *      ▲                          │   │                      │
 *      └──────lease lost──────────┘   └──handler failed──▶ RETRYING (same event, after a back-off)
 *   any ──runner closed──▶ STOPPED
 * </pre>
 */
public enum SubscriptionState {

    /** Another node holds the subscription's lease (or nobody yet): this node tries to take it every poll interval. */
    STANDBY,

    /** This node holds the lease and follows the feed. */
    FOLLOWING,

    /**
     * This node holds the lease, and the last attempt failed (the handler, or reading the feed or saving the
     * checkpoint): the same event is tried again after a back-off.
     */
    RETRYING,

    /** The runner was closed. */
    STOPPED
}
