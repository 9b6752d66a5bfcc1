package dev.quark.messaging.runtime;

import java.util.Objects;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

import dev.quark.messaging.MessageSerializationException;
import dev.quark.messaging.OutboxMessage;

/**
 * Writes outbox messages as JSON and reads them back, with the application's Jackson mapper.
 */
public final class MessageCodec {

    private final JsonMapper mapper;

    /**
     * Creates a codec.
     * @param mapper the application's mapper
     */
    public MessageCodec(JsonMapper mapper) {
        this.mapper = Objects.requireNonNull(mapper, "mapper must not be null");
    }

    /**
     * Writes a message.
     * @param destination the destination, for the error message
     * @param message the message
     * @return the JSON
     * @throws MessageSerializationException naming the destination and the message's class when it cannot be written
     */
    public String write(String destination, Object message) {
        try {
            return this.mapper.writeValueAsString(message);
        }
        catch (JacksonException ex) {
            throw new MessageSerializationException("A message for the destination '" + destination + "', a "
                    + message.getClass().getName() + ", cannot be written as JSON; nothing was enqueued: "
                    + ex.getOriginalMessage(), ex);
        }
    }

    /**
     * Reads a delivered message's payload.
     * @param <T> the type
     * @param message the message
     * @param type the type to read it as
     * @return the payload
     * @throws IllegalArgumentException naming the message and the type when it cannot be read
     */
    public <T> T read(OutboxMessage message, Class<T> type) {
        try {
            return this.mapper.readValue(message.payload(), type);
        }
        catch (JacksonException ex) {
            throw new IllegalArgumentException("The payload of message " + message.id() + " for '"
                    + message.destination() + "' cannot be read as " + type.getName() + ": " + ex.getOriginalMessage(),
                    ex);
        }
    }
}
