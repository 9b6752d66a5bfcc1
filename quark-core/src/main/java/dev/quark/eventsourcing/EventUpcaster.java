package dev.quark.eventsourcing;

import tools.jackson.databind.JsonNode;

/**
 * Brings a stored event's payload from one schema version of its type to the next, so that old events are read as
 * the current class. Reading an event of version 1 whose type is now at version 3 runs the upcasters from 1 and
 * from 2, in that order. Upcasters transform JSON trees; they never change what is stored.
 * <pre>{@code
 * EventUpcaster amountInCents = EventUpcaster.of("Deposited", 1, (payload) -> {
 *     ObjectNode node = (ObjectNode) payload;
 *     node.put("amountCents", node.remove("amount").asLong() * 100);
 *     return node.put("currency", "EUR");
 * });
 * }</pre>
 * An upcaster may also rename the type ({@link #renaming}): its payload is then of another type, at the version it
 * names, and reading goes on with that type's upcasters up to its class's version. The old name needs no class.
 * <pre>{@code
 * EventUpcaster depositedIsCredited = EventUpcaster.renaming("Deposited", 2, "Credited", 1, (payload) -> payload);
 * }</pre>
 */
public interface EventUpcaster {

    /**
     * Returns the event type this upcaster reads.
     * @return the type name
     */
    String eventType();

    /**
     * Returns the schema version this upcaster reads; it produces the next one.
     * @return the version, at least 1
     */
    int fromVersion();

    /**
     * Transforms a payload of {@link #fromVersion()} into one of {@link #toEventType()} at {@link #toVersion()}.
     * @param payload the payload; may be changed in place and returned
     * @return the payload of the next version
     */
    JsonNode upcast(JsonNode payload);

    /**
     * Returns the event type of the payloads it produces: its own ({@link #eventType()}) unless it renames the type.
     * @return the type name
     */
    default String toEventType() {
        return eventType();
    }

    /**
     * Returns the schema version of the payloads it produces: the next one of its own type, or one of the type it
     * renames to.
     * @return the version; above {@link #fromVersion()} for its own type, at least 1 for another
     */
    default int toVersion() {
        return fromVersion() + 1;
    }

    /**
     * Creates an upcaster from a function.
     * @param eventType the event type
     * @param fromVersion the version it reads
     * @param upcast the transformation
     * @return the upcaster
     */
    static EventUpcaster of(String eventType, int fromVersion, java.util.function.UnaryOperator<JsonNode> upcast) {
        return renaming(eventType, fromVersion, eventType, fromVersion + 1, upcast);
    }

    /**
     * Creates an upcaster that renames the type: payloads of {@code eventType} at {@code fromVersion} become payloads
     * of {@code toEventType} at {@code toVersion}.
     * @param eventType the event type it reads, which needs no class any more
     * @param fromVersion the version it reads
     * @param toEventType the type it produces
     * @param toVersion the version of that type it produces
     * @param upcast the transformation
     * @return the upcaster
     * @throws IllegalArgumentException when a version is below 1, or the type stays and the version does not rise
     */
    static EventUpcaster renaming(String eventType, int fromVersion, String toEventType, int toVersion,
            java.util.function.UnaryOperator<JsonNode> upcast) {
        if (fromVersion < 1 || toVersion < 1) {
            throw new IllegalArgumentException("An upcaster of event type '" + eventType + "' reads version "
                    + fromVersion + " and writes version " + toVersion + " of '" + toEventType
                    + "'; schema versions start at 1");
        }
        if (eventType.equals(toEventType) && toVersion <= fromVersion) {
            throw new IllegalArgumentException("An upcaster of event type '" + eventType + "' reads version "
                    + fromVersion + " and writes version " + toVersion
                    + " of the same type; it must write a later one");
        }
        return new EventUpcaster() {

            @Override
            public String eventType() {
                return eventType;
            }

            @Override
            public int fromVersion() {
                return fromVersion;
            }

            @Override
            public JsonNode upcast(JsonNode payload) {
                return upcast.apply(payload);
            }

            @Override
            public String toEventType() {
                return toEventType;
            }

            @Override
            public int toVersion() {
                return toVersion;
            }

            @Override
            public String toString() {
                return "EventUpcaster[" + eventType + " v" + fromVersion + " -> " + toEventType + " v" + toVersion
                        + "]";
            }
        };
    }
}
