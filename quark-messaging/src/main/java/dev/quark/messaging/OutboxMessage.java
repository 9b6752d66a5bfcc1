package dev.quark.messaging;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * A message as the dispatcher hands it to a {@link MessagePublisher}: its id, destination and key, its payload as the
 * JSON the outbox wrote, the payload's Java type name, its headers, when it was enqueued, and which delivery attempt
 * this is.
 *
 * @param id the message id, the same on every attempt: consumers deduplicate with it
 * @param destination the destination the message was enqueued for
 * @param key the ordering key: messages of one key are delivered in the order they were enqueued
 * @param payloadType the Java type name of the enqueued message
 * @param payload the message as JSON
 * @param headers the headers, in the order given
 * @param createdAt when the message was enqueued
 * @param attempt the attempt, 1 for the first delivery
 */
public record OutboxMessage(MessageId id, String destination, String key, String payloadType, String payload,
        Map<String, String> headers, Instant createdAt, int attempt) {

    /**
     * Validates the message.
     */
    public OutboxMessage {
        Objects.requireNonNull(id, "id must not be null");
        Objects.requireNonNull(destination, "destination must not be null");
        Objects.requireNonNull(key, "key must not be null");
        Objects.requireNonNull(payloadType, "payloadType must not be null");
        Objects.requireNonNull(payload, "payload must not be null");
        headers = Map.copyOf(headers);
        Objects.requireNonNull(createdAt, "createdAt must not be null");
    }
}
