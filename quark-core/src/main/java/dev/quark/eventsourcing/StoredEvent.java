package dev.quark.eventsourcing;

import java.time.Instant;
import java.util.UUID;

/**
 * An event as a stream holds it.
 *
 * @param stream the stream
 * @param version the event's version in its stream: 1 for the first event, one more for each next
 * @param eventId the event's id, unique within the stream
 * @param type the event's type name
 * @param schemaVersion the version of the payload's schema when it was written
 * @param payload the event as the JSON document that was appended
 * @param recordedAt when the store recorded it (the database's clock on PostgreSQL and Redis)
 * @param position where the event sits in the global feed; {@link FeedPosition#NONE} for stores without one
 */
public record StoredEvent(String stream, long version, UUID eventId, String type, int schemaVersion, String payload,
        Instant recordedAt, FeedPosition position) {
}
