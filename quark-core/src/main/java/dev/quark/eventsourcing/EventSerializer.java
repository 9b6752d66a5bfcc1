package dev.quark.eventsourcing;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Turns events of one base type into {@link NewEvent}s and stored events back into events, as JSON through a Jackson
 * {@link JsonMapper} (under Spring Boot, the application's), running {@link EventUpcaster}s on payloads of older
 * schema versions.
 *
 * @param <E> the event base type
 */
public final class EventSerializer<E> {

    private final JsonMapper mapper;

    private final EventTypes<E> types;

    private final Map<String, Map<Integer, EventUpcaster>> upcasters = new HashMap<>();

    /**
     * Creates a serializer.
     * @param mapper the mapper
     * @param types the event classes
     * @param upcasters the upcasters; those of other types are ignored
     * @throws IllegalArgumentException when two upcasters read the same type and version
     */
    public EventSerializer(JsonMapper mapper, EventTypes<E> types, List<EventUpcaster> upcasters) {
        this.mapper = Objects.requireNonNull(mapper, "mapper must not be null");
        this.types = Objects.requireNonNull(types, "types must not be null");
        for (EventUpcaster upcaster : upcasters) {
            EventUpcaster other = this.upcasters.computeIfAbsent(upcaster.eventType(), (key) -> new HashMap<>())
                .putIfAbsent(upcaster.fromVersion(), upcaster);
            if (other != null) {
                throw new IllegalArgumentException("Two upcasters read version " + upcaster.fromVersion()
                        + " of event type '" + upcaster.eventType() + "': " + other + " and " + upcaster);
            }
        }
    }

    /**
     * Returns the event classes.
     * @return the event types
     */
    public EventTypes<E> types() {
        return this.types;
    }

    /**
     * Serializes an event under a fresh id.
     * @param event the event
     * @return the event to append
     * @throws IllegalArgumentException when the event is not one of the event classes or cannot be written as JSON
     */
    public NewEvent serialize(E event) {
        return serialize(event, UUID.randomUUID());
    }

    /**
     * Serializes an event.
     * @param event the event
     * @param eventId its id
     * @return the event to append
     * @throws IllegalArgumentException when the event is not one of the event classes or cannot be written as JSON
     */
    public NewEvent serialize(E event, UUID eventId) {
        Objects.requireNonNull(event, "event must not be null");
        EventTypes.Name name = this.types.nameOf(event.getClass());
        String payload;
        try {
            payload = this.mapper.writeValueAsString(event);
        }
        catch (RuntimeException ex) {
            throw new IllegalArgumentException("Event " + event.getClass().getName() + " cannot be written as JSON; "
                    + "nothing was appended: " + ex.getMessage(), ex);
        }
        return new NewEvent(eventId, name.type(), name.version(), payload);
    }

    /**
     * Reads a stored event, upcasting its payload to the current schema version of its type.
     * @param stored the stored event
     * @return the event
     * @throws EventDeserializationException naming stream, version and type when the type is unknown, the payload is
     * corrupt, no upcaster covers a version, or the event was written by a newer schema version
     */
    public E deserialize(StoredEvent stored) {
        Class<? extends E> eventClass = this.types.classOf(stored.type());
        if (eventClass == null) {
            throw new EventDeserializationException(stored, "no event class of " + this.types.base().getName()
                    + " has that type; the types are " + this.types.classes().keySet(), null);
        }
        int current = this.types.nameOf(eventClass).version();
        if (stored.schemaVersion() > current) {
            throw new EventDeserializationException(stored, eventClass.getName() + " is at schema version " + current
                    + ", older than the stored event's; was it written by newer code?", null);
        }
        try {
            if (stored.schemaVersion() == current) {
                return this.mapper.readValue(stored.payload(), eventClass);
            }
            JsonNode payload = this.mapper.readTree(stored.payload());
            for (int version = stored.schemaVersion(); version < current; version++) {
                EventUpcaster upcaster = this.upcasters.getOrDefault(stored.type(), Map.of()).get(version);
                if (upcaster == null) {
                    throw new EventDeserializationException(stored, "no upcaster reads version " + version
                            + " of the type (the class is at version " + current + ")", null);
                }
                payload = upcaster.upcast(payload);
            }
            return this.mapper.treeToValue(payload, eventClass);
        }
        catch (EventDeserializationException ex) {
            throw ex;
        }
        catch (RuntimeException ex) {
            throw new EventDeserializationException(stored, "its payload is not a valid " + eventClass.getName() + ": "
                    + ex.getMessage(), ex);
        }
    }
}
