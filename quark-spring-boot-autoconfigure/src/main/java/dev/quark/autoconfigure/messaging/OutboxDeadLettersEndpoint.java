package dev.quark.autoconfigure.messaging;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

import dev.quark.messaging.MessageId;
import dev.quark.messaging.runtime.DeadLetters;
import dev.quark.messaging.store.StoredMessage;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.actuate.endpoint.Access;
import org.springframework.boot.actuate.endpoint.InvalidEndpointRequestException;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.WriteOperation;

/**
 * The {@code quarkdeadletters} actuator endpoint: lists the outbox's dead letters and resends them once their cause
 * is fixed ({@link DeadLetters}). Like every endpoint it is reachable over HTTP only once exposed
 * ({@code management.endpoints.web.exposure.include=quarkdeadletters}). Its access is read-only unless
 * {@code management.endpoint.quarkdeadletters.access=unrestricted}: resending writes, so it takes a decision of the
 * application's (and a protection, as for its other write operations). A read lists the oldest dead letters first
 * (100 by default, 1,000 at most), without their payloads and headers; a write resends one dead letter by id, or
 * every dead letter of a destination, and answers how many with the first 1,000 ids.
 */
@Endpoint(id = "quarkdeadletters", defaultAccess = Access.READ_ONLY)
public class OutboxDeadLettersEndpoint {

    /** How many dead letters a read lists when it does not say. */
    static final int DEFAULT_LIMIT = 100;

    /** How many dead letters a read lists at most. */
    static final int MAX_LIMIT = 1_000;

    private final DeadLetters deadLetters;

    /**
     * Creates the endpoint.
     * @param deadLetters the outbox's dead letters
     */
    public OutboxDeadLettersEndpoint(DeadLetters deadLetters) {
        this.deadLetters = deadLetters;
    }

    /**
     * Lists the oldest dead letters.
     * @param limit how many at most, 1 to {@value #MAX_LIMIT}; {@value #DEFAULT_LIMIT} when not given
     * @return the dead letters
     * @throws InvalidEndpointRequestException naming a limit out of range (answered with status 400)
     */
    @ReadOperation
    public DeadLettersDescriptor deadLetters(@Nullable Integer limit) {
        int count = (limit != null) ? limit : DEFAULT_LIMIT;
        if (count < 1 || count > MAX_LIMIT) {
            throw invalid("limit must be 1 to " + MAX_LIMIT + ", was " + count);
        }
        return new DeadLettersDescriptor(this.deadLetters.list(count).stream().map(DeadLetter::of).toList());
    }

    /**
     * Resends one dead letter, or every dead letter of a destination: exactly one of the two must be given.
     * @param id the id of the dead letter to resend, a UUID
     * @param destination the destination whose dead letters to resend
     * @return how many were resent (none when the id names no dead letter) and the first {@value #MAX_LIMIT} ids
     * @throws InvalidEndpointRequestException when neither or both are given, or the id is not a UUID (status 400)
     */
    @WriteOperation
    public ResentDescriptor resend(@Nullable String id, @Nullable String destination) {
        if ((id == null) == (destination == null)) {
            throw invalid("Give either the id of a dead letter or a destination to resend, not "
                    + ((id == null) ? "neither" : "both (id '" + id + "', destination '" + destination + "')"));
        }
        if (id != null) {
            MessageId messageId = messageId(id);
            return ResentDescriptor.of(this.deadLetters.resend(messageId) ? List.of(messageId) : List.of());
        }
        return ResentDescriptor.of(this.deadLetters.resendAll(destination));
    }

    private static MessageId messageId(String id) {
        try {
            return new MessageId(UUID.fromString(id));
        }
        catch (IllegalArgumentException ex) {
            String message = "Dead letter id '" + id + "' is not a message id (a UUID)";
            throw new InvalidEndpointRequestException(message, message, ex);
        }
    }

    /** A refusal of the request's input, which the web endpoint answers with status 400 and the message. */
    private static InvalidEndpointRequestException invalid(String message) {
        return new InvalidEndpointRequestException(message, message);
    }

    /**
     * The dead letters a read lists.
     * @param deadLetters oldest first
     */
    public record DeadLettersDescriptor(List<DeadLetter> deadLetters) {
    }

    /**
     * A dead letter, without its payload and headers.
     * @param id its id
     * @param destination its destination
     * @param key its ordering key
     * @param payloadType the Java type of its payload
     * @param attempts the deliveries attempted
     * @param createdAt when it was enqueued
     * @param deadAt when it was dead-lettered
     * @param lastError the last delivery's failure
     */
    public record DeadLetter(String id, String destination, String key, String payloadType, int attempts,
            Instant createdAt, @Nullable Instant deadAt, @Nullable String lastError) {

        static DeadLetter of(StoredMessage message) {
            return new DeadLetter(message.id().value().toString(), message.destination(), message.key(),
                    message.payloadType(), message.attempts(), message.createdAt(), message.finishedAt(),
                    message.lastError());
        }
    }

    /**
     * What a write resent.
     * @param count how many dead letters were resent
     * @param resent the ids of the first {@value #MAX_LIMIT} of them, in their new order
     */
    public record ResentDescriptor(int count, List<String> resent) {

        /** Copies the ids. */
        public ResentDescriptor {
            resent = List.copyOf(resent);
        }

        static ResentDescriptor of(List<MessageId> resent) {
            return new ResentDescriptor(resent.size(),
                    resent.stream().limit(MAX_LIMIT).map((id) -> id.value().toString()).toList());
        }
    }
}
