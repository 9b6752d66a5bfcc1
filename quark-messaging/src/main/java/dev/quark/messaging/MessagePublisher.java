package dev.quark.messaging;

/**
 * Delivers outbox messages to one destination: a broker exchange, an actor type, the application's event bus. The
 * SPI between the outbox dispatcher and the world; Quark ships an actor, an {@code ApplicationEvent} and a RabbitMQ
 * publisher (package {@code dev.quark.messaging.publisher}).
 * <p>
 * {@link #publish} returns once the destination has acknowledged the message (a broker's publisher confirm, an
 * actor's reply) and throws otherwise; the dispatcher then retries with backoff, up to the configured attempts,
 * and dead-letters the message after the last. Delivery is at least once: a dispatcher that crashes between the
 * acknowledgement and recording it leaves the message to be delivered again, with the same {@link MessageId}.
 * <p>
 * A Kafka publisher, for instance, is a few lines:
 * <pre>{@code
 * MessagePublisher orders = MessagePublisher.of("orders", (message) ->
 *     kafka.send("orders", message.key(), message.payload()).get(10, TimeUnit.SECONDS));
 * }</pre>
 */
public interface MessagePublisher {

    /**
     * Returns the destination this publisher delivers to, the name given to {@link Outbox#enqueue}.
     * @return the destination, not blank
     */
    String destination();

    /**
     * Delivers a message and waits for the destination's acknowledgement.
     * @param message the message
     * @throws Exception when the destination refused the message or did not acknowledge it; the message is retried
     */
    void publish(OutboxMessage message) throws Exception;

    /**
     * Returns a publisher from a destination name and a function.
     * @param destination the destination
     * @param delivery what delivers a message
     * @return the publisher
     */
    static MessagePublisher of(String destination, Delivery delivery) {
        Destinations.requireName(destination);
        java.util.Objects.requireNonNull(delivery, "delivery must not be null");
        return new MessagePublisher() {

            @Override
            public String destination() {
                return destination;
            }

            @Override
            public void publish(OutboxMessage message) throws Exception {
                delivery.deliver(message);
            }

            @Override
            public String toString() {
                return "MessagePublisher[" + destination + "]";
            }
        };
    }

    /**
     * Delivers one message, the body of {@link MessagePublisher#of}.
     */
    @FunctionalInterface
    interface Delivery {

        /**
         * Delivers a message and waits for its acknowledgement.
         * @param message the message
         * @throws Exception when it was not acknowledged
         */
        void deliver(OutboxMessage message) throws Exception;
    }
}
