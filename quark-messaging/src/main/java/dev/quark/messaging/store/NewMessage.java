package dev.quark.messaging.store;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;

import dev.quark.messaging.MessageId;

/**
 * A message to append to an outbox store.
 *
 * @param id the message id
 * @param destination the destination
 * @param key the ordering key
 * @param partition the partition the key hashes to
 * @param payloadType the Java type name of the message
 * @param payload the message as JSON
 * @param headers the headers
 * @param createdAt when it was enqueued
 */
public record NewMessage(MessageId id, String destination, String key, int partition, String payloadType,
        String payload, Map<String, String> headers, Instant createdAt) {

    /**
     * Validates the message.
     */
    public NewMessage {
        Objects.requireNonNull(id, "id must not be null");
        Objects.requireNonNull(destination, "destination must not be null");
        Objects.requireNonNull(key, "key must not be null");
        if (partition < 0) {
            throw new IllegalArgumentException("partition must not be negative, was " + partition);
        }
        Objects.requireNonNull(payloadType, "payloadType must not be null");
        Objects.requireNonNull(payload, "payload must not be null");
        headers = Map.copyOf(headers);
        Objects.requireNonNull(createdAt, "createdAt must not be null");
    }
}
