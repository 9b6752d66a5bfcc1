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
     * Transforms a payload of {@link #fromVersion()} into one of the next version.
     * @param payload the payload; may be changed in place and returned
     * @return the payload of the next version
     */
    JsonNode upcast(JsonNode payload);

    /**
     * Creates an upcaster from a function.
     * @param eventType the event type
     * @param fromVersion the version it reads
     * @param upcast the transformation
     * @return the upcaster
     */
    static EventUpcaster of(String eventType, int fromVersion, java.util.function.UnaryOperator<JsonNode> upcast) {
        if (fromVersion < 1) {
            throw new IllegalArgumentException("An upcaster of event type '" + eventType + "' reads version "
                    + fromVersion + "; schema versions start at 1");
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
        };
    }
}
