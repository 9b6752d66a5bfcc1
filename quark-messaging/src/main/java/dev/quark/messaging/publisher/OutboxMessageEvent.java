package dev.quark.messaging.publisher;

import org.springframework.context.ApplicationEvent;

import dev.quark.messaging.OutboxMessage;

/**
 * An outbox message published as a Spring application event by {@link ApplicationEventMessagePublisher}:
 * <pre>{@code
 * @EventListener(condition = "#event.message.destination == 'orders'")
 * void on(OutboxMessageEvent event) { ... event.getMessage().id() ... }
 * }</pre>
 */
public class OutboxMessageEvent extends ApplicationEvent {

    private static final long serialVersionUID = 1L;

    private final transient OutboxMessage message;

    /**
     * Creates the event.
     * @param source the publisher
     * @param message the message
     */
    public OutboxMessageEvent(Object source, OutboxMessage message) {
        super(source);
        this.message = message;
    }

    /**
     * Returns the message.
     * @return the message
     */
    public OutboxMessage getMessage() {
        return this.message;
    }
}
