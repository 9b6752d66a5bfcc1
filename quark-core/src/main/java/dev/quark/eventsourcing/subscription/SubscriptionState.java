package dev.quark.eventsourcing.subscription;

/**
 * What a node does with a subscription.
 * <pre>
 *   STANDBY ──lease acquired (below its share, or free too long)──▶ FOLLOWING ◀──event handled──┐
 *      ▲                          │   │                      │
 *      ├──────lease lost──────────┤   └──handler failed──▶ RETRYING (same event, after a back-off)
 *      └──checkpoint refused──────┘ (a newer lease stamped it: taken over; lease released)
 *   RETRYING ──handler failed its maximum attempts──▶ FOLLOWING (the event dead-lettered, the checkpoint past it)
 *   FOLLOWING ──more than its share (another node joined), between two batches──▶ STANDBY (handed over; released)
 *   FOLLOWING ──claim failed──▶ RETRYING (lease released; acquired again and the claim tried again after a back-off)
 *   any ──runner closed──▶ STOPPED      any ──thread ended by an Error──▶ FAILED (lease released)
 *   FOLLOWING ──claim refused while the lease is the store's current one: the store's tokens went back──┐
 *       ▲                   raised above the checkpoint's stamp (WARN, tokens-lost counted, lease released)   │
 *       └──next step, at once: a new lease above the stamp, claim accepted──── STANDBY ◀─────────────────────┘
 *   STANDBY ──third claim in a row refused right after acquiring, the tokens not raised (the store cannot raise
 *             them, the raise failed or did not take, the feed cannot read its stamp)──▶ FENCED_OUT
 *   FENCED_OUT ──claim accepted──▶ FOLLOWING      FENCED_OUT ──the store's tokens raised above the stamp──▶ STANDBY
 *   FENCED_OUT ──the lease held by another a lease duration and a poll interval later──▶ STANDBY
 *   FENCED_OUT ──refused again and not raised, claim failed, lease store unreachable──▶ FENCED_OUT (stays)
 * </pre>
 */
public enum SubscriptionState {

    /**
     * This node does not follow the subscription: another node holds its lease, nobody does yet, this node was
     * taken over (its checkpoint refused its lease's token) and let the lease go, or it follows its share of the
     * subscriptions already (spreading) or handed this one over. It tries to take the lease every poll interval while
     * below its share (or following none), and when the lease has been free too long.
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
     * The checkpoint refused this node's claim three times in a row right after it acquired the lease, and the lease
     * store's tokens could not be raised above the checkpoint's stamp: the store's tokens went back (a store that lost
     * its data, a restore, {@code quark.leases.backend} switched) and the store cannot raise them
     * ({@link dev.quark.lease.LeaseStore#raiseTokensAbove} unsupported), the raise failed or did not take, or the feed
     * cannot read its stamps ({@link dev.quark.eventsourcing.EventFeed#checkpointStamp}). A store that can raise them is
     * raised above the stamp at the first such refusal, and the node follows again on a new lease without turning
     * fenced out. Here no node
     * can follow the subscription until the store's tokens pass the checkpoint's stamp, or the stamp is cleared by hand
     * (on PostgreSQL {@code update quark_event_checkpoint set lease_token = null where subscription = '<name>'}, under
     * the store's table prefix: {@link dev.quark.eventsourcing.EventFeed#clearCheckpointStamp} gives the statement,
     * which the node's last error and its ERROR log name). A pause explains
     * one refusal, not three. The node keeps trying every poll interval and follows again as soon as a claim is
     * accepted; it stands by instead when another node holds the lease a lease duration and a poll interval after this
     * node last saw that no other node's claim was accepted: that node's claim was accepted (a node whose claim fails
     * otherwise than refused lets the lease go for its back-off, so this node gets it meanwhile and is refused again).
     * A lease store it cannot reach, a claim that fails otherwise than refused (added to its last error) and further
     * refusals keep it fenced out, however long they last; a raise that succeeds at a later refusal (one that had
     * failed) ends it. The health indicator is down.
     */
    FENCED_OUT
}
