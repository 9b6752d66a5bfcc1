package dev.quark.eventsourcing;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

import dev.quark.state.StateWriteAttachment;

/**
 * An {@link EventStore} that reports every append to {@link EventStoreMetrics} and otherwise passes each call to
 * the store it wraps, including its {@link #feed()}.
 */
public final class MeteredEventStore implements EventStore {

    private final EventStore store;

    private final EventStoreMetrics metrics;

    private MeteredEventStore(EventStore store, EventStoreMetrics metrics) {
        this.store = store;
        this.metrics = metrics;
    }

    /**
     * Wraps a store, unless there is nothing to report to.
     * @param store the store
     * @param metrics where appends are reported
     * @return the wrapped store, or {@code store} itself for {@link EventStoreMetrics#NONE}
     */
    public static EventStore of(EventStore store, EventStoreMetrics metrics) {
        Objects.requireNonNull(store, "store must not be null");
        Objects.requireNonNull(metrics, "metrics must not be null");
        return (metrics == EventStoreMetrics.NONE) ? store : new MeteredEventStore(store, metrics);
    }

    /**
     * Returns the wrapped store.
     * @return the store
     */
    public EventStore store() {
        return this.store;
    }

    @Override
    public AppendResult append(String stream, List<NewEvent> events, long expectedVersion) {
        return metered(events, () -> this.store.append(stream, events, expectedVersion));
    }

    @Override
    public AppendResult append(String stream, List<NewEvent> events, long expectedVersion,
            StateWriteAttachment attachment) {
        return metered(events, () -> this.store.append(stream, events, expectedVersion, attachment));
    }

    private AppendResult metered(List<NewEvent> events, Supplier<AppendResult> append) {
        int count = (events != null) ? events.size() : 0;
        AppendResult result;
        try {
            result = append.get();
        }
        catch (ConcurrencyException ex) {
            this.metrics.append(EventStoreMetrics.AppendOutcome.CONFLICT, count);
            throw ex;
        }
        catch (RuntimeException ex) {
            this.metrics.append(EventStoreMetrics.AppendOutcome.FAILED, count);
            throw ex;
        }
        this.metrics.append(result.duplicate() ? EventStoreMetrics.AppendOutcome.DUPLICATE
                : EventStoreMetrics.AppendOutcome.APPENDED, count);
        return result;
    }

    @Override
    public long deleteStream(String stream, long expectedVersion) {
        return this.store.deleteStream(stream, expectedVersion);
    }

    @Override
    public long truncateStream(String stream, long version) {
        return this.store.truncateStream(stream, version);
    }

    @Override
    public long truncateStream(String stream, long version, long expectedVersion) {
        return this.store.truncateStream(stream, version, expectedVersion);
    }

    @Override
    public List<StoredEvent> read(String stream, long fromVersion, int limit) {
        return this.store.read(stream, fromVersion, limit);
    }

    @Override
    public long version(String stream) {
        return this.store.version(stream);
    }

    @Override
    public void saveSnapshot(String stream, Snapshot snapshot) {
        this.store.saveSnapshot(stream, snapshot);
    }

    @Override
    public void saveSnapshot(String stream, Snapshot snapshot, long expectedVersion) {
        this.store.saveSnapshot(stream, snapshot, expectedVersion);
    }

    @Override
    public Optional<Snapshot> loadSnapshot(String stream) {
        return this.store.loadSnapshot(stream);
    }

    @Override
    public Optional<EventFeed> feed() {
        return this.store.feed();
    }

    @Override
    public String toString() {
        return "Metered" + this.store;
    }
}
