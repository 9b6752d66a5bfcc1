package dev.quark.eventsourcing.subscription;

import java.time.Duration;

/**
 * Where an {@link EventSubscriptionRunner} reports what its subscriptions do. Under Spring Boot with Micrometer,
 * {@code MicrometerEventSubscriptionMetrics} records it.
 */
public interface EventSubscriptionMetrics {

    /** Reports nothing. */
    EventSubscriptionMetrics NONE = new EventSubscriptionMetrics() {
    };

    /**
     * An event was handled and its checkpoint saved.
     * @param subscription the subscription's name
     * @param lateness how long after the store recorded the event it was handled (0 when the clocks disagree)
     */
    default void handled(String subscription, Duration lateness) {
    }

    /**
     * The handler failed on an event, or the feed could not be read or the checkpoint claimed or saved; the same event
     * (or the claim) is tried again after a back-off. Also a node turning {@link SubscriptionState#FENCED_OUT} (its
     * third claim in a row refused right after acquiring the lease, the lease store's tokens not raised, then every 100th).
     * @param subscription the subscription's name
     */
    default void failed(String subscription) {
    }

    /**
     * A node found the checkpoint stamped above the token of the lease it had just acquired, its lease still valid: the
     * lease store's tokens went back (a store that lost writes, a restore, {@code quark.leases.backend} switched), and
     * the node raises them above the stamp (a store that cannot raise them leaves it fenced out). Once per incident (a subscription and the stamp that refused it), however
     * many claims find it.
     * @param subscription the subscription's name
     */
    default void fencingTokensLost(String subscription) {
    }

    /**
     * The handler failed on an event the subscription's maximum number of attempts in a row, and the event was recorded
     * as a dead letter: the subscription went on with the next event.
     * @param subscription the subscription's name
     */
    default void deadLettered(String subscription) {
    }

    /**
     * The runner starts following the subscription: a metrics backend registers its meters now, at zero, so that a
     * rate or an increase over the first report (a lease store's tokens lost once) is not read as no change.
     * @param subscription the subscription's name
     */
    default void started(String subscription) {
    }
}
