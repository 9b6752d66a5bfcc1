package dev.quark.messaging;

import org.jspecify.annotations.Nullable;

/**
 * Thrown by {@link Outbox#enqueue} when a message cannot be written as JSON; nothing is enqueued, and the caller's
 * transaction sees the exception.
 */
public class MessageSerializationException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     * @param message what failed, naming the destination and the message type
     * @param cause the serializer's exception
     */
    public MessageSerializationException(String message, @Nullable Throwable cause) {
        super(message, cause);
    }
}
