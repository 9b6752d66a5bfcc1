package dev.quark.runtime;

/**
 * Records the calls of one contract method. Obtained once per method from {@link ActorMetrics} when the
 * runtime starts, so recording a call is a field access, never a lookup.
 */
@FunctionalInterface
public interface CallMetrics {

    /** Records nothing. */
    CallMetrics NONE = (outcome, durationNanos) -> {
    };

    /**
     * Records one call.
     * @param outcome how the call ended
     * @param durationNanos from the call reaching the mailbox to the end of its turn; for
     * {@link CallOutcome#REJECTED}, how long the caller waited for room
     */
    void record(CallOutcome outcome, long durationNanos);
}
