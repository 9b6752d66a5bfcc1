package dev.quark.runtime;

/**
 * How a call that reached an actor's mailbox ended, as reported to {@link CallMetrics}.
 */
public enum CallOutcome {

    /** The turn returned normally. */
    SUCCESS,

    /** The turn threw, or the activation the call waited for failed. */
    FAILURE,

    /** The caller gave up (timeout or cancellation) before the turn started; the turn was skipped. */
    EXPIRED,

    /** The mailbox stayed full for the whole mailbox-full timeout; the call was not delivered. */
    REJECTED
}
