package dev.quark.eventsourcing;

import java.util.Objects;

import org.jspecify.annotations.Nullable;

/**
 * A subscription to the global feed that the application declares, for Quark to follow in the background: under
 * Spring Boot, every bean of this type is followed by the {@code EventSubscriptionRunner}
 * ({@code dev.quark.eventsourcing.subscription}), one node at a time per name.
 * <pre>{@code
 * @Bean
 * EventSubscriptionDefinition balances(BalanceProjection projection) {
 *     return EventSubscriptionDefinition.of("balances", projection::apply);
 * }
 * }</pre>
 * The name keeps the subscription's checkpoint and its lease: renaming a subscription starts it over from the first
 * event. Delivery is at least once, in feed order; make the handler idempotent (for instance by
 * {@link StoredEvent#eventId()}).
 *
 * <p>
 * A handler that keeps failing on an event is tried again on that event, after a growing back-off, until it succeeds:
 * unless the subscription has a maximum number of attempts ({@link #withMaxAttempts}, or the runner's default,
 * {@code quark.eventstore.subscriptions.max-attempts}), after which the event becomes an {@link EventDeadLetter} and
 * the subscription goes on with the next one.
 *
 * @param name the subscription's name; not blank, at most 255 characters, unique within the application
 * @param handler handles the events; an exception makes the runner try the same event again after a back-off, up to
 * the maximum number of attempts when there is one
 * @param batchSize the most events one read of the feed returns, at least 1
 * @param maxAttempts how many times in a row the handler may fail on one event before the event is dead-lettered, at
 * least 1; {@code null} for the runner's default (which is to try again until the handler succeeds, unless set)
 */
public record EventSubscriptionDefinition(String name, EventHandler handler, int batchSize,
        @Nullable Integer maxAttempts) {

    /**
     * Validates the definition.
     * @throws IllegalArgumentException naming the value: a blank or too long name, a batch size below 1, a maximum
     * number of attempts below 1
     */
    public EventSubscriptionDefinition {
        Objects.requireNonNull(name, "Subscription name must not be null");
        if (name.isBlank() || name.length() > 255) {
            throw new IllegalArgumentException("Subscription name '" + name + "' must be 1 to 255 characters, not blank");
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("Subscription '" + name + "' needs a batch size of at least 1, was "
                    + batchSize);
        }
        Objects.requireNonNull(handler, () -> "Subscription '" + name + "' needs a handler");
        if (maxAttempts != null && maxAttempts < 1) {
            throw new IllegalArgumentException("Subscription '" + name + "' needs a maximum of at least 1 attempt "
                    + "per event, was " + maxAttempts);
        }
    }

    /**
     * Defines a subscription with the runner's default maximum number of attempts.
     * @param name the subscription's name; not blank, at most 255 characters
     * @param handler handles the events
     * @param batchSize the most events one read of the feed returns, at least 1
     */
    public EventSubscriptionDefinition(String name, EventHandler handler, int batchSize) {
        this(name, handler, batchSize, null);
    }

    /**
     * Defines a subscription reading {@value EventSubscription#DEFAULT_BATCH_SIZE} events at a time.
     * @param name the subscription's name; not blank, at most 255 characters
     * @param handler handles the events
     * @return the definition
     */
    public static EventSubscriptionDefinition of(String name, EventHandler handler) {
        return new EventSubscriptionDefinition(name, handler, EventSubscription.DEFAULT_BATCH_SIZE);
    }

    /**
     * Returns this definition with another batch size.
     * @param batchSize the most events one read of the feed returns, at least 1
     * @return the definition
     */
    public EventSubscriptionDefinition withBatchSize(int batchSize) {
        return new EventSubscriptionDefinition(this.name, this.handler, batchSize, this.maxAttempts);
    }

    /**
     * Returns this definition with a maximum number of attempts per event: once the handler failed that many times in a
     * row on one event, the event is recorded as an {@link EventDeadLetter} (with the checkpoint moved past it, in one
     * atomic step) and the subscription goes on with the next event. {@link Integer#MAX_VALUE} tries again until the
     * handler succeeds, whatever the runner's default.
     * @param maxAttempts the maximum, at least 1
     * @return the definition
     * @throws IllegalArgumentException naming the value when it is below 1
     */
    public EventSubscriptionDefinition withMaxAttempts(int maxAttempts) {
        return new EventSubscriptionDefinition(this.name, this.handler, this.batchSize, maxAttempts);
    }

    @Override
    public String toString() {
        return "EventSubscriptionDefinition[" + this.name + ", batch size " + this.batchSize
                + ((this.maxAttempts != null) ? ", at most " + this.maxAttempts + " attempts" : "") + "]";
    }
}
