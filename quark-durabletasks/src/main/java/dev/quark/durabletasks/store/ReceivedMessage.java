package dev.quark.durabletasks.store;

import java.util.Objects;

/**
 * A message as a store hands it out, with the id that consumes it.
 *
 * @param id the id, growing in the order messages were stored
 * @param message the message
 */
public record ReceivedMessage(long id, TaskMessage message) {

    /**
     * Validates the message.
     */
    public ReceivedMessage {
        Objects.requireNonNull(message, "message must not be null");
    }
}
