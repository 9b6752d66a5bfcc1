package dev.quark.reminder;

/**
 * What became of a tick, as {@link ReminderMetrics} counts it. Every delivery is {@link #DELIVERED},
 * {@link #FAILED} or {@link #UNDELIVERED}; ticks that were not delivered are {@link #SKIPPED} or {@link #MISSED}.
 */
public enum ReminderOutcome {

    /** {@code receiveReminder} returned. */
    DELIVERED,

    /**
     * {@code receiveReminder} threw, or the delivery timed out (the delivery timeout, or the runtime's call timeout:
     * the turn may have run); the schedule goes on (a one-shot reminder is tried again up to a limit).
     */
    FAILED,

    /**
     * The call did not reach the actor: its silo could not be reached or was not serving, its mailbox was full, or
     * the runtime was closed. The same scheduled instant is tried again after a backoff, until it is delivered; the
     * reminder's later ticks wait for it.
     */
    UNDELIVERED,

    /**
     * A one-shot reminder failed its last allowed attempt and was removed; counted in addition to that
     * attempt's {@link #FAILED}.
     */
    ABANDONED,

    /** The tick fell due while the previous tick of the same reminder still ran, and was not delivered. */
    SKIPPED,

    /**
     * The tick was already due when an earlier one was delivered (no silo ran the reminder at the time, or
     * the silo was behind): one delivery stood for it and it was not delivered itself.
     */
    MISSED
}
