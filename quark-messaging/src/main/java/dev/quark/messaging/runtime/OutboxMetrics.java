package dev.quark.messaging.runtime;

import java.time.Duration;

/**
 * What the dispatcher reports, for Micrometer in the Spring wiring ({@code quark.outbox.*}).
 */
public interface OutboxMetrics {

    /** Reports nothing. */
    OutboxMetrics NONE = new OutboxMetrics() {
    };

    /**
     * A message was delivered.
     * @param destination the destination
     * @param lateness from its enqueueing to its delivery
     */
    default void delivered(String destination, Duration lateness) {
    }

    /**
     * A delivery failed and will be retried.
     * @param destination the destination
     */
    default void retried(String destination) {
    }

    /**
     * A message became a dead letter.
     * @param destination the destination
     */
    default void deadLettered(String destination) {
    }
}
