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
     * Returns the stream's version when the append was refused, or {@link EventStore#ANY_VERSION} ({@code -1}) when
     * the store could not read it: the database found the conflict (on PostgreSQL, a caller's {@code REPEATABLE READ}
     * or {@code SERIALIZABLE} transaction whose snapshot predates the append that won, or a version taken by an
     * append of an older Quark), and the transaction that found it cannot tell the stream's current version.
     * @return the actual version, or {@code -1} when unknown
     */
    public long getActualVersion() {
        return this.actualVersion;
    }
}
