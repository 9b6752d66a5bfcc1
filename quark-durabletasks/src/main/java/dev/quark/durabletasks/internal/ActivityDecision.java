package dev.quark.durabletasks.internal;

import java.time.Instant;

import dev.quark.durabletasks.store.TaskMessage;

/**
 * What becomes of an activity call after an attempt.
 */
public sealed interface ActivityDecision {

    /**
     * The call is over: its outcome goes to the orchestration.
     *
     * @param outcome the message with the result or the failure
     * @param succeeded whether the activity returned
     */
    record Complete(TaskMessage outcome, boolean succeeded) implements ActivityDecision {
    }

    /**
     * The attempt failed and another one follows.
     *
     * @param nextAttempt the next attempt's number
     * @param visibleAt when it may start
     */
    record Retry(int nextAttempt, Instant visibleAt) implements ActivityDecision {
    }
}
