package dev.quark.eventsourcing;

import java.util.List;
import java.util.Optional;

import dev.quark.state.StateWriteAttachment;

/**
 * Keeps append-only event streams and their snapshots: the SPI behind {@link EventSourcedActor}. Quark ships an
 * in-memory, a PostgreSQL and a Redis Streams implementation, which all pass the same contract tests
 * ({@code EventStoreContractTests} in {@code quark-testkit}).
 * <p>
 * A stream is named by a non-blank string of at most 255 characters. Its events have versions 1, 2, 3, ...
 * without gaps; an empty stream has version 0. An append names the version the caller expects the stream to
 * have; when it has another, the append throws {@link ConcurrencyException} and writes nothing, atomically with the
 * check, so of concurrent appenders with the same expected version exactly one succeeds. {@link #ANY_VERSION}
 * skips the check.
 * <p>
 * Appends are idempotent by event id: when every event of an append is already in the stream (same ids, same
 * order at the end of what was appended then), the append writes nothing and returns the version of the last of
 * them with {@link AppendResult#duplicate()} set, whatever the expected version, so a retry after a lost reply
 * is harmless. An append that repeats some of the stream's event ids but not all is refused with an
 * {@link IllegalArgumentException}. Payloads are stored and returned exactly as given; stores do not parse them.
 * Implementations are thread-safe.
 */
public interface EventStore {

    /** The expected version that skips the concurrency check. */
    long ANY_VERSION = -1;

    /**
     * Appends events to the end of a stream.
     * @param stream the stream
     * @param events the events, at least one, with distinct ids
     * @param expectedVersion the version the caller last saw, 0 for a stream it saw empty, or {@link #ANY_VERSION}
     * @return the stream's version after the append
     * @throws ConcurrencyException when the stream is not at the expected version; nothing is appended
     * @throws IllegalArgumentException for no events, repeated ids within the append, some but not all of its ids
     * already in the stream, a bad stream name, or an expected version below {@link #ANY_VERSION}
     */
    AppendResult append(String stream, List<NewEvent> events, long expectedVersion);

    /**
     * Appends events and makes attached writes (for instance outbox messages) in the same atomic step: both are
     * written, or neither. The attachment is the kind a state store of the same backend takes
     * ({@code JdbcStateAttachment} on the store's {@code DataSource}, in the append's transaction;
     * {@code RedisStateAttachment} of the store's connection factory, in the append's Lua script; an
     * {@code InMemoryStateAttachment}, right after an in-memory append). A conflict writes neither; a duplicate append
     * (every id already in the stream) writes neither, since its attached writes went with the first one.
     * @param stream the stream
     * @param events the events, at least one, with distinct ids
     * @param expectedVersion the version the caller last saw, 0 for a stream it saw empty, or {@link #ANY_VERSION}
     * @param attachment the writes to make with the append
     * @return the stream's version after the append
     * @throws ConcurrencyException when the stream is not at the expected version; nothing is written
     * @throws UnsupportedOperationException when this store cannot make the attached writes atomically (another kind,
     * another database); nothing is written
     * @throws IllegalArgumentException as {@link #append(String, List, long)}, or when the attachment refuses its
     * writes (Redis); nothing is written
     */
    default AppendResult append(String stream, List<NewEvent> events, long expectedVersion,
            StateWriteAttachment attachment) {
        throw new UnsupportedOperationException("Event store " + this + " cannot write " + attachment.description()
                + " atomically with an append to stream '" + stream + "'; nothing was written");
    }

    /**
     * Deletes a stream: its events, their ids and its snapshot, atomically with a version check. The stream is then
     * empty at version 0, as if never appended to: a later append starts again at version 1, and may use the deleted
     * event ids again. The deleted events leave the global feed too (a subscription that had not reached them never
     * sees them). An activation of the stream's actor still holds the old state; its next {@code emit} conflicts and
     * the actor is rebuilt from the empty stream.
     * @param stream the stream
     * @param expectedVersion the version the caller last saw, or {@link #ANY_VERSION}
     * @return how many events were deleted, 0 for a stream without events
     * @throws ConcurrencyException when the stream is not at the expected version; nothing is deleted
     * @throws IllegalArgumentException for a bad stream name or an expected version below {@link #ANY_VERSION}
     */
    default long deleteStream(String stream, long expectedVersion) {
        throw new UnsupportedOperationException("Event store " + this + " cannot delete streams");
    }

    /**
     * Truncates a stream before a snapshot: deletes its events up to and including {@code version}, which the stream's
     * latest snapshot must cover, and keeps the later ones, so that the snapshot and the kept events still rebuild the
     * state. The stream keeps its version (the next append still gets the version after its last event), and
     * {@link #read} returns the kept events only: a read from version 1 starts at the first kept event, whose version
     * says where the stream now starts. The truncated events' ids are forgotten (an append repeating one is a new
     * append) and the events leave the global feed (a subscription that had not reached them never sees them).
     * Truncating through a version below the stream's first kept event deletes nothing.
     * <p>
     * The check and the deletion are one atomic step, ordered with appends, snapshots and {@link #deleteStream}: an
     * append that races a truncation is kept, and events no snapshot covers are never deleted.
     * @param stream the stream
     * @param version the version of the last event to delete, 0 (deletes nothing) up to the version of the stream's
     * latest snapshot
     * @return how many events were deleted
     * @throws IllegalArgumentException when {@code version} is negative, beyond the stream's version, or beyond the
     * version of its latest snapshot (or the stream has no snapshot), naming the stream and the versions; nothing is
     * deleted. Also for a bad stream name
     */
    default long truncateStream(String stream, long version) {
        throw new UnsupportedOperationException("Event store " + this + " cannot truncate streams");
    }

    /**
     * Truncates a stream as {@link #truncateStream(String, long)} does, when it is at the expected version: the check
     * and the deletion are one atomic step, so that a caller whose view of the stream is stale (a second activation,
     * or one whose stream was deleted and written again behind it) never deletes events it has not seen.
     * <p>
     * The default reads {@link #version(String)}, compares, and delegates to {@link #truncateStream(String, long)}:
     * not atomic, a window remains between the read and the deletion. Quark's stores override it with one atomic
     * step; so should every store that can.
     * @param stream the stream
     * @param version the version of the last event to delete, 0 up to the version of the stream's latest snapshot
     * @param expectedVersion the version the caller last saw, or {@link #ANY_VERSION}
     * @return how many events were deleted
     * @throws ConcurrencyException when the stream is not at the expected version, naming the stream and both
     * versions; nothing is deleted
     * @throws IllegalArgumentException as {@link #truncateStream(String, long)}, or for an expected version below
     * {@link #ANY_VERSION}
     */
    default long truncateStream(String stream, long version, long expectedVersion) {
        EventStoreArguments.expectedVersion(stream, expectedVersion, "A truncation");
        if (expectedVersion != ANY_VERSION) {
            EventStoreArguments.expect(stream, expectedVersion, version(stream), "nothing was truncated");
        }
        return truncateStream(stream, version);
    }

    /**
     * Reads a stream's events in version order.
     * @param stream the stream
     * @param fromVersion the first version to read, at least 1
     * @param limit the most events to return, at least 1
     * @return the events with versions from {@code fromVersion}, at most {@code limit}; empty past the end. After a
     * {@linkplain #truncateStream truncation}, the kept events from {@code fromVersion} on: a read from a truncated
     * version starts at the first kept event
     */
    List<StoredEvent> read(String stream, long fromVersion, int limit);

    /**
     * Returns a stream's version.
     * @param stream the stream
     * @return the version of its last event, 0 when it has none; a {@linkplain #truncateStream truncated} stream keeps
     * its version, also when every event was truncated
     */
    long version(String stream);

    /**
     * Keeps a snapshot of a stream, replacing an older one. A snapshot older than (or as old as) the one kept is
     * ignored, so a slow writer never replaces a newer snapshot. A snapshot beyond the stream's version is not kept
     * either (checked atomically with {@link #deleteStream}): the stream was deleted after its events were appended,
     * and keeping it would put the stream's next activation ahead of its events.
     * @param stream the stream
     * @param snapshot the snapshot
     */
    void saveSnapshot(String stream, Snapshot snapshot);

    /**
     * Keeps a snapshot as {@link #saveSnapshot(String, Snapshot)} does, when the stream is at the expected version:
     * the check and the write are one atomic step, so that a caller whose view of the stream is stale never saves a
     * state the stream no longer has (which a later {@linkplain #truncateStream truncation} would make the only record
     * of the deleted events).
     * <p>
     * The default reads {@link #version(String)}, compares, and delegates to {@link #saveSnapshot(String, Snapshot)}:
     * not atomic, a window remains between the read and the write. Quark's stores override it with one atomic step;
     * so should every store that can.
     * @param stream the stream
     * @param snapshot the snapshot
     * @param expectedVersion the version the caller last saw, or {@link #ANY_VERSION}
     * @throws ConcurrencyException when the stream is not at the expected version, naming the stream and both
     * versions; nothing is saved
     * @throws IllegalArgumentException for a bad stream name or an expected version below {@link #ANY_VERSION}
     */
    default void saveSnapshot(String stream, Snapshot snapshot, long expectedVersion) {
        EventStoreArguments.expectedVersion(stream, expectedVersion, "A snapshot");
        if (expectedVersion != ANY_VERSION) {
            EventStoreArguments.expect(stream, expectedVersion, version(stream), "no snapshot was saved");
        }
        saveSnapshot(stream, snapshot);
    }

    /**
     * Reads the latest snapshot of a stream.
     * @param stream the stream
     * @return the snapshot, empty when none was saved
     */
    Optional<Snapshot> loadSnapshot(String stream);

    /**
     * Returns this store's global feed of every stream's events, when it has one.
     * @return the feed; empty for stores that cannot offer a gap-free global order (Redis)
     */
    default Optional<EventFeed> feed() {
        return Optional.empty();
    }
}
