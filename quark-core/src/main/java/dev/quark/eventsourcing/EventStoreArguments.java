package dev.quark.eventsourcing;

import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;

/**
 * The checks every {@link EventStore} makes on its arguments, so that all backends refuse the same inputs with the
 * same messages.
 */
public final class EventStoreArguments {

    /** The longest stream name. */
    public static final int MAX_STREAM_LENGTH = 255;

    private EventStoreArguments() {
    }

    /**
     * Checks a stream name.
     * @param stream the name
     * @return the name
     * @throws IllegalArgumentException when it is blank, longer than {@value #MAX_STREAM_LENGTH} or contains NUL
     */
    public static String stream(String stream) {
        Objects.requireNonNull(stream, "stream must not be null");
        if (stream.isBlank() || stream.length() > MAX_STREAM_LENGTH || stream.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("Event stream name '" + stream + "' must be 1 to " + MAX_STREAM_LENGTH
                    + " characters, not blank, without NUL");
        }
        return stream;
    }

    /**
     * Checks an append's arguments.
     * @param stream the stream
     * @param events the events
     * @param expectedVersion the expected version
     * @throws IllegalArgumentException naming the stream when there are no events, an id repeats, or the expected
     * version is below {@link EventStore#ANY_VERSION}
     */
    public static void append(String stream, List<NewEvent> events, long expectedVersion) {
        stream(stream);
        Objects.requireNonNull(events, "events must not be null");
        if (events.isEmpty()) {
            throw new IllegalArgumentException("An append to event stream '" + stream + "' needs at least one event");
        }
        if (expectedVersion < EventStore.ANY_VERSION) {
            throw new IllegalArgumentException("An append to event stream '" + stream + "' expected version "
                    + expectedVersion + "; expected versions are 0 or more, or EventStore.ANY_VERSION");
        }
        Set<UUID> ids = new HashSet<>();
        for (NewEvent event : events) {
            Objects.requireNonNull(event, "events must not contain null");
            if (!ids.add(event.eventId())) {
                throw new IllegalArgumentException("An append to event stream '" + stream + "' holds event id "
                        + event.eventId() + " twice");
            }
        }
    }

    /**
     * Checks a stream deletion's arguments.
     * @param stream the stream
     * @param expectedVersion the expected version
     * @throws IllegalArgumentException naming the stream when the expected version is below
     * {@link EventStore#ANY_VERSION}
     */
    public static void delete(String stream, long expectedVersion) {
        stream(stream);
        if (expectedVersion < EventStore.ANY_VERSION) {
            throw new IllegalArgumentException("A deletion of event stream '" + stream + "' expected version "
                    + expectedVersion + "; expected versions are 0 or more, or EventStore.ANY_VERSION");
        }
    }

    /**
     * Checks a truncation's arguments.
     * @param stream the stream
     * @param version the version of the last event to delete
     * @throws IllegalArgumentException naming the stream when the version is negative
     */
    public static void truncate(String stream, long version) {
        stream(stream);
        if (version < 0) {
            throw new IllegalArgumentException("A truncation of event stream '" + stream + "' through version "
                    + version + ": versions start at 1 (0 truncates nothing)");
        }
    }

    /**
     * Checks an expected version's argument.
     * @param stream the stream
     * @param expectedVersion the expected version
     * @param operation what expects it, for the message (for instance {@code "A truncation"})
     * @throws IllegalArgumentException naming the stream when the expected version is below
     * {@link EventStore#ANY_VERSION}
     */
    public static void expectedVersion(String stream, long expectedVersion, String operation) {
        stream(stream);
        if (expectedVersion < EventStore.ANY_VERSION) {
            throw new IllegalArgumentException(operation + " of event stream '" + stream + "' expected version "
                    + expectedVersion + "; expected versions are 0 or more, or EventStore.ANY_VERSION");
        }
    }

    /**
     * Checks a stream's version against the one a write other than an append expects.
     * @param stream the stream
     * @param expectedVersion the expected version, or {@link EventStore#ANY_VERSION}
     * @param actualVersion the stream's version
     * @param nothingDone what was not done, for the message (for instance {@code "nothing was truncated"})
     * @throws ConcurrencyException naming the stream and both versions when they differ
     */
    public static void expect(String stream, long expectedVersion, long actualVersion, String nothingDone) {
        if (expectedVersion != EventStore.ANY_VERSION && expectedVersion != actualVersion) {
            throw new ConcurrencyException(stream, expectedVersion, actualVersion, "Event stream '" + stream
                    + "' was written concurrently: expected version " + expectedVersion + ", but the stream is at "
                    + ConcurrencyException.describe(actualVersion) + "; " + nothingDone);
        }
    }

    /**
     * Checks that a truncation keeps every event no snapshot covers.
     * @param stream the stream
     * @param version the version of the last event to delete
     * @param head the stream's version
     * @param snapshotVersion the version of the stream's latest snapshot, 0 when it has none
     * @throws IllegalArgumentException naming the stream and the versions when {@code version} is beyond the
     * stream's version or beyond its latest snapshot
     */
    public static void truncatable(String stream, long version, long head, long snapshotVersion) {
        if (version > head) {
            throw new IllegalArgumentException("Cannot truncate event stream '" + stream + "' through version " + version
                    + ": the stream is at version " + head + "; nothing was truncated");
        }
        if (version > snapshotVersion) {
            throw new IllegalArgumentException("Cannot truncate event stream '" + stream + "' through version " + version
                    + ": " + ((snapshotVersion == 0) ? "it has no snapshot"
                            : "its latest snapshot is at version " + snapshotVersion)
                    + ", and events no snapshot covers are never deleted; nothing was truncated");
        }
    }

    /**
     * Checks a read's arguments.
     * @param stream the stream
     * @param fromVersion the first version
     * @param limit the most events
     * @throws IllegalArgumentException when the version or the limit is below 1
     */
    public static void read(String stream, long fromVersion, int limit) {
        stream(stream);
        if (fromVersion < 1) {
            throw new IllegalArgumentException("Reading event stream '" + stream + "' from version " + fromVersion
                    + ": versions start at 1");
        }
        limit(limit);
    }

    /**
     * Checks a limit.
     * @param limit the most events to return
     * @throws IllegalArgumentException when it is below 1
     */
    public static void limit(int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("The limit of a read must be at least 1, was " + limit);
        }
    }

    /**
     * Decides what an append does about the ids the stream already holds.
     * @param stream the stream
     * @param events the events to append
     * @param found how many of them the stream holds
     * @return whether the append is a repeat (every event present), otherwise none is present
     * @throws IllegalArgumentException when some but not all are present
     */
    public static boolean repeated(String stream, List<NewEvent> events, int found) {
        if (found == 0) {
            return false;
        }
        if (found == events.size()) {
            return true;
        }
        throw new IllegalArgumentException("An append to event stream '" + stream + "' repeats " + found + " of its "
                + events.size() + " event ids: either all of an append's events were appended before (a retry, which "
                + "does nothing) or none; nothing was appended");
    }

    /**
     * Checks a stream's version against the expected one.
     * @param stream the stream
     * @param expectedVersion the expected version, or {@link EventStore#ANY_VERSION}
     * @param actualVersion the stream's version
     * @throws ConcurrencyException when they differ
     */
    public static void expect(String stream, long expectedVersion, long actualVersion) {
        if (expectedVersion != EventStore.ANY_VERSION && expectedVersion != actualVersion) {
            throw new ConcurrencyException(stream, expectedVersion, actualVersion);
        }
    }
}
