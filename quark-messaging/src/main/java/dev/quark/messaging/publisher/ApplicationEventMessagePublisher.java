package dev.quark.messaging.publisher;

import java.util.Objects;

import org.springframework.context.ApplicationEventPublisher;

import dev.quark.messaging.MessagePublisher;
import dev.quark.messaging.OutboxMessage;

/**
 * Delivers a destination's messages as {@link OutboxMessageEvent}s to the application's listeners. Synchronous
 * listeners run in the dispatcher's call: a listener's exception fails the delivery, which is then retried;
 * returning acknowledges it. (Asynchronous listeners acknowledge at once, so their failures are not retried.)
 */
public final class ApplicationEventMessagePublisher implements MessagePublisher {

    private final String destination;

    private final ApplicationEventPublisher events;

    /**
     * Creates the publisher.
     * @param destination the destination it serves
     * @param events the application's event publisher
     */
    public ApplicationEventMessagePublisher(String destination, ApplicationEventPublisher events) {
        this.destination = MessagePublisher.of(destination, (message) -> {
        }).destination();
        this.events = Objects.requireNonNull(events, "events must not be null");
    }

    @Override
    public String destination() {
        return this.destination;
    }

    @Override
    public void publish(OutboxMessage message) {
        this.events.publishEvent(new OutboxMessageEvent(this, message));
    }

    @Override
    public String toString() {
        return "ApplicationEventMessagePublisher[" + this.destination + "]";
    }
}
