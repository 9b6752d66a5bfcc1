package dev.quark.eventsourcing;

import org.jspecify.annotations.Nullable;

/**
 * An append expected a stream version that the stream no longer has: someone else appended since the caller
 * read it. Nothing was appended. Read the stream again, decide again, and retry, or give up.
 */
public class ConcurrencyException extends EventStoreException {

    private static final long serialVersionUID = 1L;

    private final long expectedVersion;

    private final long actualVersion;

    /**
     * Creates the exception.
     * @param stream the stream
     * @param expectedVersion the version the caller expected; 0 for a stream it saw as empty
     * @param actualVersion the stream's version; 0 when it holds no event
     */
    public ConcurrencyException(String stream, long expectedVersion, long actualVersion) {
        this(stream, expectedVersion, actualVersion, "Event stream '" + stream + "' was appended to concurrently: "
                + "expected version " + expectedVersion + ", but the stream is at " + describe(actualVersion)
                + "; nothing was appended");
    }

    /**
     * Creates the exception with its own message, for a conflict other than an append's.
     * @param stream the stream
     * @param expectedVersion the version the caller expected
     * @param actualVersion the stream's version
     * @param message the message, naming the stream and both versions
     */
    public ConcurrencyException(String stream, long expectedVersion, long actualVersion, String message) {
        this(stream, expectedVersion, actualVersion, message, null);
    }

    /**
     * Creates the exception with its own message and a cause: the store's conflict behind the caller's.
     * @param stream the stream
     * @param expectedVersion the version the caller expected
     * @param actualVersion the stream's version
     * @param message the message, naming the stream and both versions
     * @param cause the conflict this one reports, or {@code null}
     */
    public ConcurrencyException(String stream, long expectedVersion, long actualVersion, String message,
            @Nullable Throwable cause) {
        super(stream, message, cause);
        this.expectedVersion = expectedVersion;
        this.actualVersion = actualVersion;
    }

    static String describe(long version) {
        return (version == 0) ? "version 0 (no events)" : "version " + version;
    }

    /**
     * Returns the version the caller expected.
     * @return the expected version
     */
    public long getExpectedVersion() {
        return this.expectedVersion;
    }

    /**
     * Returns the stream's version when the append was refused.
     * @return the actual version
     */
    public long getActualVersion() {
        return this.actualVersion;
    }
}
