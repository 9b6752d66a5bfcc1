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

    private S state;

    private long version;

    private long snapshotVersion;

    EventJournal(EventSourcedActor<S, E> actor, EventStore store, EventSerializer<E> serializer, JsonMapper mapper,
            Type stateType, String stream, int snapshotEvery) {
        this.actor = actor;
        this.store = store;
        this.serializer = serializer;
        this.mapper = mapper;
        this.stateType = stateType;
        this.stream = EventStoreArguments.stream(stream);
        this.snapshotEvery = snapshotEvery;
        this.state = actor.newState();
    }

    /**
     * Rebuilds the state from the latest snapshot and the events after it. A snapshot beyond the stream's version
     * (kept by a store that saved it after the stream was deleted) is ignored: using it would put the activation
     * ahead of its stream, and every emit would conflict.
     */
    void load() {
        Optional<Snapshot> snapshot = this.store.loadSnapshot(this.stream);
        if (snapshot.isPresent() && snapshot.get().version() > this.store.version(this.stream)) {
            logger.warn("Snapshot at version {} of event stream '{}' is beyond the stream's version (deleted since?); "
                    + "rebuilding the state from the events", snapshot.get().version(), this.stream);
            snapshot = Optional.empty();
        }
        if (snapshot.isPresent()) {
            try {
                this.state = this.mapper.readValue(snapshot.get().payload(), this.mapper.constructType(this.stateType));
                this.version = snapshot.get().version();
                this.snapshotVersion = this.version;
            }
            catch (RuntimeException ex) {
                logger.warn("Snapshot at version {} of event stream '{}' cannot be read as {}; rebuilding the state "
                        + "from all events: {}", snapshot.get().version(), this.stream, this.stateType.getTypeName(),
                        ex.getMessage());
                this.state = this.actor.newState();
            }
        }
        this.state = fold(this.state, this.version, Long.MAX_VALUE);
    }

    /** Folds the events after {@code from} up to {@code to} into a state; sets the version as it goes. */
    private S fold(S start, long from, long to) {
        S folded = start;
        long at = from;
        for (int page = 0; at < to; page++) {
            List<StoredEvent> events = this.store.read(this.stream, at + 1, (int) Math.min(PAGE, to - at));
            if (events.isEmpty()) {
                break;
            }
            for (StoredEvent stored : events) {
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
            String payload = this.mapper.writerFor(this.mapper.constructType(this.stateType)).writeValueAsString(this.state);
            this.store.saveSnapshot(this.stream, new Snapshot(this.version, payload));
            this.snapshotVersion = this.version;
        }
        catch (RuntimeException ex) {
            logger.warn("Snapshot at version {} of event stream '{}' could not be saved; retrying after {} more "
                    + "events: {}", this.version, this.stream, this.snapshotEvery, ex.toString());
            this.snapshotVersion = this.version;
        }
    }

    S stateAt(long at) {
        if (at < 0 || at > this.version) {
            throw new IllegalArgumentException("Event stream '" + this.stream + "' has versions 0 to " + this.version
                    + "; there is no state at version " + at);
        }
        return fold(this.actor.newState(), 0, at);
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
