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

    private final Map<String, Map<Integer, EventUpcaster>> upcasters;

    /** How many upcasters there are: a chain of more upcasts than that loops. */
    private final int upcasterCount;

    /**
     * Creates a serializer.
     * @param mapper the mapper
     * @param types the event classes
     * @param upcasters the upcasters, checked ({@link #check}); those of types no event of these classes ever had are
     * not used
     * @throws IllegalArgumentException when the upcasters do not pass {@link #check}
     */
    public EventSerializer(JsonMapper mapper, EventTypes<E> types, List<EventUpcaster> upcasters) {
        this.mapper = Objects.requireNonNull(mapper, "mapper must not be null");
        this.types = Objects.requireNonNull(types, "types must not be null");
        this.upcasters = check(upcasters);
        this.upcasterCount = upcasters.size();
    }

    /**
     * Checks upcasters: each names the types it reads and writes, one that keeps its type raises the version, one
     * that renames writes a version of at least 1, and no two read the same type and version.
     * @param upcasters the upcasters
     * @return them by the type and version they read
     * @throws IllegalArgumentException naming the upcaster that does not pass
     */
    public static Map<String, Map<Integer, EventUpcaster>> check(List<EventUpcaster> upcasters) {
        Map<String, Map<Integer, EventUpcaster>> byType = new HashMap<>();
        for (EventUpcaster upcaster : upcasters) {
            if (upcaster.eventType() == null || upcaster.toEventType() == null) {
                throw new IllegalArgumentException("Upcaster " + upcaster + " must name the event type it reads ("
                        + upcaster.eventType() + ") and the one it writes (" + upcaster.toEventType() + ")");
            }
            if (upcaster.toEventType().equals(upcaster.eventType()) ? upcaster.toVersion() <= upcaster.fromVersion()
                    : upcaster.toVersion() < 1) {
                throw new IllegalArgumentException("Upcaster " + upcaster + " of event type '" + upcaster.eventType()
                        + "' reads version " + upcaster.fromVersion() + " and writes version " + upcaster.toVersion()
                        + " of '" + upcaster.toEventType()
                        + "': the same type's version must rise, another's start at 1");
            }
            EventUpcaster other = byType.computeIfAbsent(upcaster.eventType(), (key) -> new HashMap<>())
                .putIfAbsent(upcaster.fromVersion(), upcaster);
            if (other != null) {
                throw new IllegalArgumentException("Two upcasters read version " + upcaster.fromVersion()
                        + " of event type '" + upcaster.eventType() + "': " + other + " and " + upcaster);
            }
        }
        return byType;
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
     * Reads a stored event, upcasting its payload to the current schema version of its type, or of the type an
     * upcaster renamed it to.
     * @param stored the stored event
     * @return the event
     * @throws EventDeserializationException naming stream, version and type when the type is unknown, the payload is
     * corrupt, no upcaster covers a version, the event was written by a newer schema version, or the upcasters rename
     * in a loop
     */
    public E deserialize(StoredEvent stored) {
        String type = stored.type();
        int version = stored.schemaVersion();
        JsonNode payload = null;
        // What the payload is read as, for the message of a failure: the class, once known.
        String reading = "'" + type + "' event";
        try {
            for (int upcast = 0;; upcast++) {
                Class<? extends E> eventClass = this.types.classOf(type);
                int current = (eventClass != null) ? this.types.nameOf(eventClass).version() : 0;
                boolean renamed = !type.equals(stored.type());
                if (eventClass != null) {
                    reading = eventClass.getName();
                }
                if (eventClass != null && version >= current) {
                    if (version > current) {
                        throw new EventDeserializationException(stored, eventClass.getName() + " is at schema version "
                                + current + ", older than " + ((upcast > 0) ? "version " + version + " of '" + type
                                        + "', which its upcasters brought it to" : "the stored event's")
                                + "; was it written by newer code?", null);
                    }
                    return (payload == null) ? this.mapper.readValue(stored.payload(), eventClass)
                            : this.mapper.treeToValue(payload, eventClass);
                }
                EventUpcaster upcaster = this.upcasters.getOrDefault(type, Map.of()).get(version);
                if (upcaster == null) {
                    String named = renamed ? "type '" + type + "', to which its upcasters renamed it" : "that type";
                    throw new EventDeserializationException(stored, (eventClass == null)
                            ? "no event class of " + this.types.base().getName() + " has " + named + "; the types are "
                                    + this.types.classes().keySet()
                            : "no upcaster reads version " + version + " of " + (renamed ? named : "the type")
                                    + " (the class is at version " + current + ")", null);
                }
                if (upcast == this.upcasterCount) {
                    throw new EventDeserializationException(stored, "its upcasters rename it in a loop, back to '"
                            + type + "' version " + version, null);
                }
                JsonNode tree = (payload == null) ? this.mapper.readTree(stored.payload()) : payload;
                try {
                    payload = upcaster.upcast(tree);
                }
                catch (RuntimeException ex) {
                    throw new EventDeserializationException(stored, "upcaster " + upcaster + " failed on it: "
                            + ex.getMessage(), ex);
                }
                if (payload == null) {
                    throw new EventDeserializationException(stored, "upcaster " + upcaster + " returned no payload",
                            null);
                }
                type = upcaster.toEventType();
                version = upcaster.toVersion();
            }
        }
        catch (EventDeserializationException ex) {
            throw ex;
        }
        catch (RuntimeException ex) {
            throw new EventDeserializationException(stored, "its payload is not a valid " + reading + ": "
                    + ex.getMessage(), ex);
        }
    }
}
