package dev.quark.messaging.store;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;

import org.jspecify.annotations.Nullable;

import dev.quark.messaging.MessageId;
import dev.quark.messaging.OutboxMessage;

/**
 * A message as an outbox store keeps it.
 *
 * @param sequence the store's append order: messages of one key are delivered in this order
 * @param id the message id
 * @param destination the destination
 * @param key the ordering key
 * @param partition the partition
 * @param payloadType the Java type name of the message
 * @param payload the message as JSON
 * @param headers the headers
 * @param createdAt when it was enqueued
 * @param status where it is in its life
 * @param attempts how many deliveries were attempted
 * @param retryAt when a failed message is due again; {@code null} before the first failure
 * @param finishedAt when it was delivered or dead-lettered
 * @param lastError the latest delivery failure
 */
public record StoredMessage(long sequence, MessageId id, String destination, String key, int partition,
        String payloadType, String payload, Map<String, String> headers, Instant createdAt, MessageStatus status,
        int attempts, @Nullable Instant retryAt, @Nullable Instant finishedAt, @Nullable String lastError) {

    /**
     * Validates the message.
     */
    public StoredMessage {
        Objects.requireNonNull(id, "id must not be null");
        Objects.requireNonNull(destination, "destination must not be null");
        Objects.requireNonNull(key, "key must not be null");
        Objects.requireNonNull(payloadType, "payloadType must not be null");
        Objects.requireNonNull(payload, "payload must not be null");
        headers = Map.copyOf(headers);
        Objects.requireNonNull(createdAt, "createdAt must not be null");
        Objects.requireNonNull(status, "status must not be null");
    }

    /**
     * Returns the message as a publisher gets it for its next attempt.
     * @return the message
     */
    public OutboxMessage toDelivery() {
        return new OutboxMessage(this.id, this.destination, this.key, this.payloadType, this.payload, this.headers,
                this.createdAt, this.attempts + 1);
    }
}
