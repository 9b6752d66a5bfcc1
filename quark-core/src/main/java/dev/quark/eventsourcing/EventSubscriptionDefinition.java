package dev.quark.eventsourcing;

import java.util.Objects;

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
 * @param name the subscription's name; not blank, at most 255 characters, unique within the application
 * @param handler handles the events; an exception makes the runner try the same event again after a back-off
 * @param batchSize the most events one read of the feed returns, at least 1
 */
public record EventSubscriptionDefinition(String name, EventHandler handler, int batchSize) {

    /**
     * Validates the definition.
     * @throws IllegalArgumentException naming the value: a blank or too long name, a batch size below 1
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
        return new EventSubscriptionDefinition(this.name, this.handler, batchSize);
    }

    @Override
    public String toString() {
        return "EventSubscriptionDefinition[" + this.name + ", batch size " + this.batchSize + "]";
    }
}
