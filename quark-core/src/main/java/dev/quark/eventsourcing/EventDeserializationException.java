package dev.quark.eventsourcing;

import org.jspecify.annotations.Nullable;

/**
 * A stored event cannot be read as one of the event classes: its payload is corrupt, its type is unknown, or no
 * upcaster brings its schema version up to date. The stored event is left as it is.
 */
public class EventDeserializationException extends EventStoreException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     * @param event the event that cannot be read
     * @param problem what is wrong
     * @param cause the cause, may be {@code null}
     */
    public EventDeserializationException(StoredEvent event, String problem, @Nullable Throwable cause) {
        super(event.stream(), "Event version " + event.version() + " of stream '" + event.stream() + "' (type '"
                + event.type() + "', schema version " + event.schemaVersion() + ") cannot be read: " + problem
                + "; the stored event is left unchanged", cause);
    }

    /**
     * Rebuilds the exception as it crossed silos, with the message it had there.
     * @param stream the stream
     * @param message the message of the original exception
     * @param cause the cause, as rebuilt; may be {@code null}
     */
    public EventDeserializationException(String stream, String message, @Nullable Throwable cause) {
        super(stream, message, cause);
    }
}
