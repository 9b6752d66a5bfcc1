package dev.quark.eventsourcing.subscription;

/**
 * What a node does with a subscription.
 * <pre>
 *   STANDBY ──lease acquired──▶ FOLLOWING ◀──event handled──┐
 *      ▲                          │   │                      │
 *      ├──────lease lost──────────┤   └──handler failed──▶ RETRYING (same event, after a back-off)
 *      └──checkpoint refused──────┘ (a newer lease stamped it: taken over; lease released)
 *   FOLLOWING ──claim failed──▶ RETRYING (lease released; acquired again and the claim tried again after a back-off)
 *   any ──runner closed──▶ STOPPED      any ──thread ended by an Error──▶ FAILED (lease released)
 *   STANDBY ──third claim in a row refused right after acquiring──▶ FENCED_OUT ──claim accepted──▶ FOLLOWING
 *                                                                   │  ▲ └──the lease held by another a lease duration
 *                                                                   └──┘       and a poll interval later──▶ STANDBY
 *                           (refused again, claim failed, lease store unreachable: stays)
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
     * The last attempt failed and is tried again after a back-off: the handler, reading the feed or saving the
     * checkpoint (this node holds the lease, and tries the same event again), or claiming the checkpoint otherwise than
     * refused (this node let the lease go, and acquires it again for the next claim, unless another node holds it by
     * then: a fenced-out node must not take a lease held through the back-off for a claim accepted).
     */
    RETRYING,

    /** The runner was closed. */
    STOPPED,

    /**
     * The subscription's thread ended while the runner runs (a {@link VirtualMachineError} such as an
     * {@link OutOfMemoryError}, or an {@link Error} out of the feed): this node released the lease and no longer follows
     * the subscription until the runner is started again; another node takes it over. The health indicator is down.
     */
    FAILED,

    /**
     * The checkpoint refused this node's claim three times in a row right after it acquired the lease: the lease
     * store's tokens went back (a store that lost its data, a restore, {@code quark.leases.backend} switched), so no node
     * can follow the subscription until the store's tokens pass the checkpoint's stamp, or the stamp is cleared by hand
     * (on PostgreSQL {@code update quark_event_checkpoint set lease_token = null where subscription = '<name>'}, under
     * the store's table prefix: {@link dev.quark.eventsourcing.EventFeed#clearCheckpointStamp} gives the statement,
     * which the node's last error and its ERROR log name). A pause explains
     * one refusal, not three. The node keeps trying every poll interval and follows again as soon as a claim is
     * accepted; it stands by instead when another node holds the lease a lease duration and a poll interval after this
     * node last saw that no other node's claim was accepted: that node's claim was accepted (a node whose claim fails
     * otherwise than refused lets the lease go for its back-off, so this node gets it meanwhile and is refused again).
     * A lease store it cannot reach, a claim that fails otherwise than refused (added to its last error) and further
     * refusals keep it fenced out, however long they last. The health indicator is down.
     */
    FENCED_OUT
}
