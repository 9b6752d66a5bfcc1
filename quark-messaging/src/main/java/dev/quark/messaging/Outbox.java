package dev.quark.messaging;

import java.util.Map;

/**
 * The transactional outbox: records a message for a destination in the caller's transaction, and leaves its delivery
 * to the dispatcher. On PostgreSQL the message is written through the caller's Spring transaction on the same
 * {@code DataSource}, so it exists if and only if the caller's business writes commit; without a transaction it is
 * written at once.
 * <p>
 * Messages of one {@code key} are delivered in the order they were enqueued (each key belongs to one partition, and
 * each partition to one dispatcher at a time); while one of them is retried, the later ones wait. Delivery is at
 * least once: consumers deduplicate by {@link MessageId}, for instance with {@link Inbox}.
 * <pre>{@code
 * @Transactional
 * void placeOrder(Order order) {
 *     orders.save(order);
 *     outbox.enqueue("orders", order.id(), new OrderPlaced(order.id(), order.total()));
 * }
 * }</pre>
 * Bad input fails the enqueue, never a later delivery: an unknown destination with
 * {@link UnknownDestinationException}, a message that cannot be written as JSON with
 * {@link MessageSerializationException}.
 */
public interface Outbox {

    /**
     * Enqueues a message.
     * @param destination the destination, served by a {@link MessagePublisher}
     * @param key the ordering key, not blank, at most 255 characters
     * @param message the message, written as JSON
     * @return the message's id
     * @throws UnknownDestinationException when no publisher serves the destination
     * @throws MessageSerializationException when the message cannot be written as JSON
     */
    default MessageId enqueue(String destination, String key, Object message) {
        return enqueue(destination, key, message, Map.of());
    }

    /**
     * Enqueues a message with headers, which publishers pass on (AMQP headers, for instance).
     * @param destination the destination, served by a {@link MessagePublisher}
     * @param key the ordering key, not blank, at most 255 characters
     * @param message the message, written as JSON
     * @param headers the headers
     * @return the message's id
     * @throws UnknownDestinationException when no publisher serves the destination
     * @throws MessageSerializationException when the message cannot be written as JSON
     */
    MessageId enqueue(String destination, String key, Object message, Map<String, String> headers);
}
