package dev.quark.durabletasks.store;

import java.time.Instant;
import java.util.Objects;

import dev.quark.durabletasks.history.HistoryEvent;

/**
 * A message to an orchestration instance: an event its next step takes into its history (an execution start, an
 * activity's outcome, a timer, an external event, a sub-orchestration's outcome, a termination).
 *
 * @param instanceId the instance
 * @param execution the execution it is for, or {@link #ANY_EXECUTION} (external events, terminations); a message
 * for an execution that is no longer current is dropped
 * @param event the event
 * @param visibleAt when it may be taken (a timer's fire time)
 */
public record TaskMessage(String instanceId, int execution, HistoryEvent event, Instant visibleAt) {

    /** The execution of messages for whichever execution is current. */
    public static final int ANY_EXECUTION = 0;

    /**
     * Validates the message.
     */
    public TaskMessage {
        Objects.requireNonNull(instanceId, "instanceId must not be null");
        Objects.requireNonNull(event, "event must not be null");
        Objects.requireNonNull(visibleAt, "visibleAt must not be null");
    }
}
