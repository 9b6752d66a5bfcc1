package dev.quark.reminder;

/**
 * What became of a tick, as {@link ReminderMetrics} counts it. Every delivery is {@link #DELIVERED} or
 * {@link #FAILED}; ticks that were not delivered are {@link #SKIPPED} or {@link #MISSED}.
 */
public enum ReminderOutcome {

    /** {@code receiveReminder} returned. */
    DELIVERED,

    /** {@code receiveReminder} threw, or the call failed (unreachable actor, timeout); the schedule goes on. */
    FAILED,

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
