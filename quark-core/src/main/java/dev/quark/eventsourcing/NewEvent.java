package dev.quark.eventsourcing;

import java.util.Objects;
import java.util.UUID;

/**
 * An event to append to a stream, already serialized.
 *
 * @param eventId the event's id, unique within its stream: appending an event whose id the stream already holds
 * is a no-op (see {@link EventStore#append})
 * @param type the event's type name, for instance {@code Deposited}
 * @param schemaVersion the version of the type's payload schema, at least 1; {@link EventUpcaster}s bring
 * older versions up to date when reading
 * @param payload the event as a JSON document, stored character for character
 */
public record NewEvent(UUID eventId, String type, int schemaVersion, String payload) {

    /**
     * Validates the event.
     * @throws IllegalArgumentException when the type is blank or longer than 255 characters, or the schema version
     * is below 1
     */
    public NewEvent {
        Objects.requireNonNull(eventId, "eventId must not be null");
        Objects.requireNonNull(type, "type must not be null");
        Objects.requireNonNull(payload, "payload must not be null");
        if (type.isBlank() || type.length() > 255) {
            throw new IllegalArgumentException("Event type '" + type + "' must be 1 to 255 characters, not blank");
        }
        if (schemaVersion < 1) {
            throw new IllegalArgumentException("Event type '" + type + "' has schema version " + schemaVersion
                    + "; schema versions start at 1");
        }
    }
}
