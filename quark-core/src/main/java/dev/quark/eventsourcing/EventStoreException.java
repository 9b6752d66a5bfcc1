package dev.quark.eventsourcing;

import org.jspecify.annotations.Nullable;

/**
 * Something went wrong with an event stream; the message names the stream.
 */
public class EventStoreException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String stream;

    /**
     * Creates the exception.
     * @param stream the stream
     * @param message what went wrong
     * @param cause the cause, may be {@code null}
     */
    public EventStoreException(String stream, String message, @Nullable Throwable cause) {
        super(message, cause);
        this.stream = stream;
    }

    /**
     * Returns the stream.
     * @return the stream name
     */
    public String getStream() {
        return this.stream;
    }
}
