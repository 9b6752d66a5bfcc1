package dev.quark.eventsourcing;

import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import dev.quark.state.StateWriteAttachment;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.json.JsonMapper;

/**
 * One activation's view of its event stream: the state, the version, emitting, snapshots. Package-private: actors
 * reach it through {@link EventSourcedActor}.
 */
final class EventJournal<S, E> {

    private static final Logger logger = LoggerFactory.getLogger(EventJournal.class);

    private static final int PAGE = 500;

    private final EventSourcedActor<S, E> actor;

    private final EventStore store;

    private final EventSerializer<E> serializer;

    private final JsonMapper mapper;

    private final Type stateType;

    private final String stream;

    private final int snapshotEvery;

    private final boolean truncateAfterSnapshot;

    private S state;

    private long version;

    private long snapshotVersion;

    EventJournal(EventSourcedActor<S, E> actor, EventStore store, EventSerializer<E> serializer, JsonMapper mapper,
            Type stateType, String stream, int snapshotEvery, boolean truncateAfterSnapshot) {
        this.actor = actor;
        this.store = store;
        this.serializer = serializer;
        this.mapper = mapper;
        this.stateType = stateType;
        this.stream = EventStoreArguments.stream(stream);
        this.snapshotEvery = snapshotEvery;
        this.truncateAfterSnapshot = truncateAfterSnapshot;
        this.state = actor.newState();
    }

    /**
     * Rebuilds the state from the latest snapshot and the events after it. A snapshot beyond the stream's version
     * (kept by a store that saved it after the stream was deleted) is ignored: using it would put the activation
     * ahead of its stream, and every emit would conflict. A snapshot that cannot be read is ignored unless the stream
     * was truncated before it: then the events it stands for are gone, and the activation fails.
     * <p>
     * A gap after the snapshot read is checked once more before it fails the activation: a truncation that saved a newer
     * snapshot (another activation's, or an operator's) may have committed between the snapshot read and the fold, and
     * then the newer snapshot covers the gap. The load starts over from it.
     */
    void load() {
        try {
            loadOnce();
        }
        catch (TruncatedStreamException ex) {
            long newer = this.store.loadSnapshot(this.stream).map(Snapshot::version).orElse(0L);
            if (newer <= ex.getSnapshotVersion()) {
                throw ex;
            }
            logger.debug("Event stream '{}' was truncated through a newer snapshot at version {} while it was read; "
                    + "reading it again", this.stream, newer);
            this.state = this.actor.newState();
            this.version = 0;
            this.snapshotVersion = 0;
            loadOnce();
        }
    }

    private void loadOnce() {
        Optional<Snapshot> snapshot = this.store.loadSnapshot(this.stream);
        long head = -1;
        if (snapshot.isPresent()) {
            head = this.store.version(this.stream);
            if (snapshot.get().version() > head) {
                logger.warn("Snapshot at version {} of event stream '{}' is beyond the stream's version (deleted "
                        + "since?); rebuilding the state from the events", snapshot.get().version(), this.stream);
                snapshot = Optional.empty();
            }
        }
        if (snapshot.isPresent()) {
            try {
                this.state = readSnapshot(snapshot.get());
                this.version = snapshot.get().version();
                this.snapshotVersion = this.version;
            }
            catch (RuntimeException ex) {
                long truncated = truncatedThrough();
                if (truncated > 0) {
                    throw new IllegalStateException("Snapshot at version " + snapshot.get().version() + " of event "
                            + "stream '" + this.stream + "' cannot be read as " + this.stateType.getTypeName()
                            + ", and the stream's events up to version " + truncated + " were truncated: the state "
                            + "cannot be rebuilt until the snapshot reads again: " + ex.getMessage(), ex);
                }
                logger.warn("Snapshot at version {} of event stream '{}' cannot be read as {}; rebuilding the state "
                        + "from all events: {}", snapshot.get().version(), this.stream, this.stateType.getTypeName(),
                        ex.getMessage());
                this.state = this.actor.newState();
            }
        }
        long from = this.version;
        this.state = fold(this.state, from, Long.MAX_VALUE);
        if (this.version == from) {
            // no event after the snapshot: the stream ends there, or it was truncated through its last event and
            // the snapshot that stood for the truncated events is gone
            long current = (head >= 0) ? head : this.store.version(this.stream);
            if (current > from) {
                List<StoredEvent> first = this.store.read(this.stream, from + 1, 1);
                if (first.isEmpty() || first.get(0).version() != from + 1) {
                    throw new TruncatedStreamException(this.stream,
                            first.isEmpty() ? current : first.get(0).version() - 1, from);
                }
                this.state = fold(this.state, from, Long.MAX_VALUE);      // appended to since the first read
            }
        }
    }

    private S readSnapshot(Snapshot snapshot) {
        return this.mapper.readValue(snapshot.payload(), this.mapper.constructType(this.stateType));
    }

    /** The version of the last event truncated from the start of the stream, 0 when none was. */
    private long truncatedThrough() {
        List<StoredEvent> first = this.store.read(this.stream, 1, 1);
        return first.isEmpty() ? this.store.version(this.stream) : first.get(0).version() - 1;
    }

    /**
     * Folds the events after {@code from} up to {@code to} into a state; sets the version as it goes. An event missing
     * after {@code from} (truncated) fails the fold rather than skip the events it stood for.
     */
    private S fold(S start, long from, long to) {
        S folded = start;
        long at = from;
        for (int page = 0; at < to; page++) {
            List<StoredEvent> events = this.store.read(this.stream, at + 1, (int) Math.min(PAGE, to - at));
            if (events.isEmpty()) {
                break;
            }
            for (StoredEvent stored : events) {
                if (stored.version() != at + 1) {
                    // truncated through a version no snapshot at or after `from` covers
                    throw new TruncatedStreamException(this.stream, stored.version() - 1, from);
                }
                folded = this.actor.applyEvent(folded, this.serializer.deserialize(stored));
                at = stored.version();
            }
        }
        if (to == Long.MAX_VALUE) {
            this.version = at;
        }
        return folded;
    }

    void emit(List<? extends E> events, @Nullable StateWriteAttachment attachment) {
        if (events.isEmpty()) {
            throw new IllegalArgumentException("emitAll needs at least one event");
        }
        List<NewEvent> serialized = new ArrayList<>(events.size());
        for (E event : events) {
            serialized.add(this.serializer.serialize(event));
        }
        AppendResult result;
        try {
            result = (attachment != null) ? this.store.append(this.stream, serialized, this.version, attachment)
                    : this.store.append(this.stream, serialized, this.version);
        }
        catch (RuntimeException ex) {
            throw new AppendFailedException(ex);
        }
        S next = this.state;
        for (E event : events) {
            next = this.actor.applyEvent(next, event);
        }
        this.state = next;
        this.version = result.version();
        if (this.version - this.snapshotVersion >= this.snapshotEvery) {
            saveSnapshot();
        }
    }

    private void saveSnapshot() {
        try {
            this.store.saveSnapshot(this.stream, new Snapshot(this.version, writeState()), this.version);
            this.snapshotVersion = this.version;
        }
        catch (ConcurrencyException ex) {
            logger.warn("Event stream '{}' changed behind this activation right after its append at version {}; "
                    + "no snapshot is saved and nothing is truncated: {}", this.stream, this.version, ex.getMessage());
            this.snapshotVersion = this.version;
            return;
        }
        catch (RuntimeException ex) {
            logger.warn("Snapshot at version {} of event stream '{}' could not be saved; retrying after {} more "
                    + "events: {}", this.version, this.stream, this.snapshotEvery, ex.toString());
            this.snapshotVersion = this.version;
            return;
        }
        if (this.truncateAfterSnapshot) {
            try {
                this.store.truncateStream(this.stream, this.version, this.version);
            }
            catch (RuntimeException ex) {
                logger.warn("Event stream '{}' could not be truncated through its snapshot at version {}; its events "
                        + "are kept until the next snapshot truncates them: {}", this.stream, this.version, ex.toString());
            }
        }
    }

    private String writeState() {
        return this.mapper.writerFor(this.mapper.constructType(this.stateType)).writeValueAsString(this.state);
    }

    /**
     * Saves a snapshot of the current state, then truncates the stream through it, each expecting the version this
     * activation knows, atomically with the write (see {@link EventStore#saveSnapshot(String, Snapshot, long)} and
     * {@link EventStore#truncateStream(String, long, long)}): a stale activation (a duplicate, or one whose stream was
     * deleted and written again behind it) never saves its old state as the snapshot, nor truncates events it has not
     * folded into it.
     * @return how many events were deleted
     * @throws ConcurrencyException when the stream changed behind this activation; nothing was deleted (when the
     * stream changed between the snapshot and the truncation, the snapshot, right as of this version, is kept)
     */
    long truncate() {
        try {
            if (this.version > 0) {
                this.store.saveSnapshot(this.stream, new Snapshot(this.version, writeState()), this.version);
                this.snapshotVersion = this.version;
            }
            return this.store.truncateStream(this.stream, this.version, this.version);
        }
        catch (ConcurrencyException ex) {
            throw new ConcurrencyException(this.stream, this.version, ex.getActualVersion(), "Event stream '"
                    + this.stream + "' changed behind this activation: expected version " + this.version
                    + ", but the stream is at " + ConcurrencyException.describe(ex.getActualVersion())
                    + "; nothing was truncated", ex);
        }
    }

    /**
     * Deletes the stream, expecting the version this activation knows; the state is then the initial one at version 0.
     * @return how many events were deleted
     */
    long delete() {
        long deleted = this.store.deleteStream(this.stream, this.version);
        this.state = this.actor.newState();
        this.version = 0;
        this.snapshotVersion = 0;
        return deleted;
    }

    /**
     * Folds the state at a version from the initial state, or, when the stream was truncated, from its latest snapshot
     * if that is at or before the version.
     */
    S stateAt(long at) {
        if (at < 0 || at > this.version) {
            throw new IllegalArgumentException("Event stream '" + this.stream + "' has versions 0 to " + this.version
                    + "; there is no state at version " + at);
        }
        if (at == 0) {
            return this.actor.newState();
        }
        long truncated = truncatedThrough();
        if (truncated == 0) {
            return fold(this.actor.newState(), 0, at);
        }
        Optional<Snapshot> snapshot = this.store.loadSnapshot(this.stream);
        if (snapshot.isEmpty() || snapshot.get().version() > at || snapshot.get().version() < truncated) {
            throw new IllegalArgumentException("Event stream '" + this.stream + "' was truncated through version "
                    + truncated + ((snapshot.isPresent()) ? " before its snapshot at version " + snapshot.get().version()
                            + "; only the states from version " + snapshot.get().version() + " to " + this.version
                            + " and version 0 can be rebuilt" : " and has no snapshot")
                    + "; there is no state at version " + at);
        }
        return fold(readSnapshot(snapshot.get()), snapshot.get().version(), at);
    }

    S state() {
        return this.state;
    }

    long version() {
        return this.version;
    }

    String stream() {
        return this.stream;
    }

    /** Carries an append's failure out of the journal so that the actor can end its activation. */
    static final class AppendFailedException extends RuntimeException {

        private static final long serialVersionUID = 1L;

        private final RuntimeException failure;

        AppendFailedException(RuntimeException failure) {
            super(failure.getMessage(), failure, false, false);
            this.failure = failure;
        }

        RuntimeException failure() {
            return this.failure;
        }
    }
}
