package dev.quark.eventsourcing.memory;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;

import dev.quark.eventsourcing.AppendResult;
import dev.quark.eventsourcing.EventDeadLetter;
import dev.quark.eventsourcing.EventFeed;
import dev.quark.eventsourcing.EventStore;
import dev.quark.eventsourcing.EventStoreArguments;
import dev.quark.eventsourcing.FeedPosition;
import dev.quark.eventsourcing.NewEvent;
import dev.quark.eventsourcing.Snapshot;
import dev.quark.eventsourcing.StoredEvent;
import dev.quark.lease.FencingToken;
import dev.quark.lease.Lease;
import dev.quark.lease.LeaseLostException;
import dev.quark.state.StateWriteAttachment;
import org.jspecify.annotations.Nullable;
import dev.quark.state.memory.InMemoryStateAttachment;

/**
 * Keeps event streams in this JVM's memory: the default when no backend is configured, and the one tests use.
 * Its global feed numbers events as they are appended under one lock, so it never has gaps.
 */
public final class InMemoryEventStore implements EventStore, EventFeed {

    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();

    /** Each stream's kept events: all of them, or those after a truncation. */
    private final Map<String, List<StoredEvent>> streams = new HashMap<>();

    /** How many events each truncated stream lost from its start. */
    private final Map<String, Long> truncated = new HashMap<>();

    private final Map<String, Map<UUID, Long>> ids = new HashMap<>();

    /** Every event in feed order; a deleted stream's events are {@code null}. */
    private final List<@Nullable StoredEvent> all = new ArrayList<>();

    private final Map<String, Snapshot> snapshots = new ConcurrentHashMap<>();

    /** Each subscription's checkpoint with the token that stamped it; changed atomically per name by compute. */
    private final Map<String, Checkpoint> checkpoints = new ConcurrentHashMap<>();

    /** Each subscription's dead letters by position; a subscription's are added under its checkpoint's compute. */
    private final Map<String, NavigableMap<FeedPosition, EventDeadLetter>> deadLetters = new ConcurrentHashMap<>();

    /** When each subscription's lease tokens were last raised above its stamp; the later raise wins. */
    private final Map<String, Instant> tokensRaised = new ConcurrentHashMap<>();

    private final Clock clock;

    /**
     * Creates a store on the system clock.
     */
    public InMemoryEventStore() {
        this(Clock.systemUTC());
    }

    /**
     * Creates a store.
     * @param clock stamps the events' {@code recordedAt}
     */
    public InMemoryEventStore(Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock must not be null");
    }

    @Override
    public AppendResult append(String stream, List<NewEvent> events, long expectedVersion) {
        return append(stream, events, expectedVersion, () -> {
        });
    }

    /**
     * Appends events and makes the writes of an {@link InMemoryStateAttachment} (the in-memory outbox's messages) in
     * the same step, all or nothing: under the store's lock, after the id and version checks and before the events are
     * added, so that attached writes that throw (a message enqueued already, a reused attachment) leave the stream as
     * it was. Neither is written for a conflict, nor for a duplicate append. Other attachments are refused before
     * anything is written.
     */
    @Override
    public AppendResult append(String stream, List<NewEvent> events, long expectedVersion,
            StateWriteAttachment attachment) {
        Objects.requireNonNull(attachment, "attachment must not be null");
        if (!(attachment instanceof InMemoryStateAttachment attached)) {
            return EventStore.super.append(stream, events, expectedVersion, attachment);
        }
        return append(stream, events, expectedVersion, attached::write);
    }

    private AppendResult append(String stream, List<NewEvent> events, long expectedVersion, Runnable attached) {
        EventStoreArguments.append(stream, events, expectedVersion);
        this.lock.writeLock().lock();
        try {
            List<StoredEvent> existing = this.streams.getOrDefault(stream, List.of());
            Map<UUID, Long> known = this.ids.getOrDefault(stream, Map.of());
            int found = 0;
            long lastFound = 0;
            for (NewEvent event : events) {
                Long version = known.get(event.eventId());
                if (version != null) {
                    found++;
                    lastFound = Math.max(lastFound, version);
                }
            }
            if (EventStoreArguments.repeated(stream, events, found)) {
                return new AppendResult(lastFound, true);
            }
            long head = head(stream);
            EventStoreArguments.expect(stream, expectedVersion, head);
            attached.run();
            List<StoredEvent> appended = this.streams.computeIfAbsent(stream, (key) -> new ArrayList<>());
            Map<UUID, Long> appendedIds = this.ids.computeIfAbsent(stream, (key) -> new HashMap<>());
            long version = head;
            for (NewEvent event : events) {
                version++;
                long sequence = this.all.size() + 1;
                StoredEvent stored = new StoredEvent(stream, version, event.eventId(), event.type(),
                        event.schemaVersion(), event.payload(), this.clock.instant(), new FeedPosition(sequence, sequence));
                appended.add(stored);
                this.all.add(stored);
                appendedIds.put(event.eventId(), version);
            }
            return new AppendResult(version, false);
        }
        finally {
            this.lock.writeLock().unlock();
        }
    }

    /**
     * Deletes a stream. Its events stay in the global feed's list as gaps ({@code null}), so that the positions of
     * the other streams' events do not move; the feed skips them.
     */
    @Override
    public long deleteStream(String stream, long expectedVersion) {
        EventStoreArguments.delete(stream, expectedVersion);
        this.lock.writeLock().lock();
        try {
            List<StoredEvent> existing = this.streams.getOrDefault(stream, List.of());
            EventStoreArguments.expect(stream, expectedVersion, head(stream));
            for (StoredEvent event : existing) {
                this.all.set((int) (event.position().sequence() - 1), null);
            }
            this.streams.remove(stream);
            this.ids.remove(stream);
            this.truncated.remove(stream);
            this.snapshots.remove(stream);
            return existing.size();
        }
        finally {
            this.lock.writeLock().unlock();
        }
    }

    /**
     * Truncates a stream under the store's lock, after checking the version against the stream's and its snapshot's.
     * The deleted events stay in the global feed's list as gaps, as for {@link #deleteStream}.
     */
    @Override
    public long truncateStream(String stream, long version) {
        return truncateStream(stream, version, ANY_VERSION);
    }

    /**
     * Truncates a stream under the store's lock, after checking the expected version, then the version against the
     * stream's and its snapshot's.
     */
    @Override
    public long truncateStream(String stream, long version, long expectedVersion) {
        EventStoreArguments.truncate(stream, version);
        EventStoreArguments.expectedVersion(stream, expectedVersion, "A truncation");
        this.lock.writeLock().lock();
        try {
            EventStoreArguments.expect(stream, expectedVersion, head(stream), "nothing was truncated");
            Snapshot snapshot = this.snapshots.get(stream);
            EventStoreArguments.truncatable(stream, version, head(stream), (snapshot != null) ? snapshot.version() : 0);
            long before = this.truncated.getOrDefault(stream, 0L);
            if (version <= before) {
                return 0;
            }
            // version <= head and version > before: the stream has kept events and ids
            List<StoredEvent> deleted = this.streams.getOrDefault(stream, new ArrayList<>())
                .subList(0, (int) (version - before));
            Map<UUID, Long> known = this.ids.getOrDefault(stream, new HashMap<>());
            for (StoredEvent event : deleted) {
                this.all.set((int) (event.position().sequence() - 1), null);
                known.remove(event.eventId());
            }
            int count = deleted.size();
            deleted.clear();
            this.truncated.put(stream, version);
            return count;
        }
        finally {
            this.lock.writeLock().unlock();
        }
    }

    /** The stream's version; under the lock. */
    private long head(String stream) {
        return this.truncated.getOrDefault(stream, 0L) + this.streams.getOrDefault(stream, List.of()).size();
    }

    @Override
    public List<StoredEvent> read(String stream, long fromVersion, int limit) {
        EventStoreArguments.read(stream, fromVersion, limit);
        this.lock.readLock().lock();
        try {
            List<StoredEvent> existing = this.streams.getOrDefault(stream, List.of());
            long skipped = Math.max(0, fromVersion - 1 - this.truncated.getOrDefault(stream, 0L));
            if (skipped >= existing.size()) {
                return List.of();
            }
            int from = (int) skipped;
            return List.copyOf(existing.subList(from, (int) Math.min(existing.size(), (long) from + limit)));
        }
        finally {
            this.lock.readLock().unlock();
        }
    }

    @Override
    public long version(String stream) {
        EventStoreArguments.stream(stream);
        this.lock.readLock().lock();
        try {
            return head(stream);
        }
        finally {
            this.lock.readLock().unlock();
        }
    }

    /**
     * Keeps a snapshot unless it is beyond the stream's version (a stream deleted after the snapshot's events were
     * appended); checked under the read lock, which {@link #deleteStream} cannot take at the same time.
     */
    @Override
    public void saveSnapshot(String stream, Snapshot snapshot) {
        saveSnapshot(stream, snapshot, ANY_VERSION);
    }

    /**
     * Keeps a snapshot when the stream is at the expected version, and unless it is beyond the stream's version;
     * checked under the read lock, which appends, truncations and deletions cannot take at the same time.
     */
    @Override
    public void saveSnapshot(String stream, Snapshot snapshot, long expectedVersion) {
        EventStoreArguments.expectedVersion(stream, expectedVersion, "A snapshot");
        Objects.requireNonNull(snapshot, "snapshot must not be null");
        this.lock.readLock().lock();
        try {
            EventStoreArguments.expect(stream, expectedVersion, head(stream), "no snapshot was saved");
            if (snapshot.version() > head(stream)) {
                return;
            }
            this.snapshots.merge(stream, snapshot, (kept, given) -> (given.version() > kept.version()) ? given : kept);
        }
        finally {
            this.lock.readLock().unlock();
        }
    }

    @Override
    public Optional<Snapshot> loadSnapshot(String stream) {
        EventStoreArguments.stream(stream);
        return Optional.ofNullable(this.snapshots.get(stream));
    }

    /**
     * Deletes a stream's snapshot and nothing else, as an operator deleting it by hand would: for tests of what a
     * lost snapshot does (a truncated stream whose snapshot is gone can no longer be rebuilt, see
     * {@link dev.quark.eventsourcing.TruncatedStreamException}). Applications delete streams with
     * {@link #deleteStream}.
     * @param stream the stream
     * @return whether it had a snapshot
     */
    public boolean deleteSnapshot(String stream) {
        EventStoreArguments.stream(stream);
        this.lock.writeLock().lock();
        try {
            return this.snapshots.remove(stream) != null;
        }
        finally {
            this.lock.writeLock().unlock();
        }
    }

    @Override
    public Optional<EventFeed> feed() {
        return Optional.of(this);
    }

    @Override
    public List<StoredEvent> readAfter(FeedPosition after, int limit) {
        Objects.requireNonNull(after, "after must not be null");
        EventStoreArguments.limit(limit);
        this.lock.readLock().lock();
        try {
            int from = (int) Math.max(0, Math.min(after.sequence(), this.all.size()));
            List<StoredEvent> events = new ArrayList<>(Math.min(limit, this.all.size() - from));
            for (int i = from; i < this.all.size() && events.size() < limit; i++) {
                StoredEvent event = this.all.get(i);
                if (event != null) {
                    events.add(event);
                }
            }
            return events;
        }
        finally {
            this.lock.readLock().unlock();
        }
    }

    @Override
    public Optional<FeedPosition> checkpoint(String subscription) {
        @Nullable Checkpoint checkpoint = this.checkpoints
            .get(Objects.requireNonNull(subscription, "subscription must not be null"));
        return (checkpoint != null) ? Optional.ofNullable(checkpoint.position()) : Optional.empty();
    }

    @Override
    public void saveCheckpoint(String subscription, FeedPosition position) {
        Objects.requireNonNull(subscription, "subscription must not be null");
        Objects.requireNonNull(position, "position must not be null");
        this.checkpoints.compute(subscription,
                (name, current) -> new Checkpoint(position, (current != null) ? current.token() : null));
    }

    @Override
    public Optional<FencingToken> checkpointStamp(String subscription) {
        Objects.requireNonNull(subscription, "subscription must not be null");
        @Nullable Checkpoint checkpoint = this.checkpoints.get(subscription);
        return Optional.ofNullable((checkpoint != null) ? checkpoint.token() : null);
    }

    @Override
    public Optional<Instant> tokensRaisedAt(String subscription) {
        return Optional.ofNullable(this.tokensRaised.get(Objects.requireNonNull(subscription,
                "subscription must not be null")));
    }

    @Override
    public void recordTokensRaised(String subscription, Instant raisedAt) {
        Objects.requireNonNull(subscription, "subscription must not be null");
        Objects.requireNonNull(raisedAt, "raisedAt must not be null");
        this.tokensRaised.merge(subscription, raisedAt, (kept, given) -> given.isAfter(kept) ? given : kept);
    }

    @Override
    public Optional<FeedPosition> claimCheckpoint(String subscription, Lease lease) {
        Objects.requireNonNull(subscription, "subscription must not be null");
        Objects.requireNonNull(lease, "lease must not be null");
        Checkpoint claimed = Objects.requireNonNull(this.checkpoints.compute(subscription, (name, current) -> {
            requireStampable(current, lease);
            return new Checkpoint((current != null) ? current.position() : null, lease.token());
        }));
        return Optional.ofNullable(claimed.position());
    }

    @Override
    public void saveCheckpoint(String subscription, FeedPosition position, Lease lease) {
        Objects.requireNonNull(subscription, "subscription must not be null");
        Objects.requireNonNull(position, "position must not be null");
        Objects.requireNonNull(lease, "lease must not be null");
        this.checkpoints.compute(subscription, (name, current) -> {
            requireStampable(current, lease);
            return new Checkpoint(position, lease.token());
        });
    }

    @Override
    public boolean keepsDeadLetters() {
        return true;
    }

    @Override
    public void deadLetter(EventDeadLetter letter, Lease lease) {
        Objects.requireNonNull(letter, "letter must not be null");
        Objects.requireNonNull(lease, "lease must not be null");
        this.checkpoints.compute(letter.subscription(), (name, current) -> {
            requireStampable(current, lease);
            this.deadLetters.computeIfAbsent(name, (ignored) -> new ConcurrentSkipListMap<>())
                .putIfAbsent(letter.position(), letter);
            return new Checkpoint(letter.position(), lease.token());
        });
    }

    @Override
    public List<EventDeadLetter> deadLetters(String subscription, int limit) {
        Objects.requireNonNull(subscription, "subscription must not be null");
        EventStoreArguments.limit(limit);
        @Nullable NavigableMap<FeedPosition, EventDeadLetter> letters = this.deadLetters.get(subscription);
        return (letters != null) ? letters.values().stream().limit(limit).toList() : List.of();
    }

    @Override
    public Optional<EventDeadLetter> findDeadLetter(String subscription, FeedPosition position) {
        Objects.requireNonNull(subscription, "subscription must not be null");
        Objects.requireNonNull(position, "position must not be null");
        @Nullable NavigableMap<FeedPosition, EventDeadLetter> letters = this.deadLetters.get(subscription);
        return Optional.ofNullable((letters != null) ? letters.get(position) : null);
    }

    @Override
    public boolean deleteDeadLetter(String subscription, FeedPosition position) {
        Objects.requireNonNull(subscription, "subscription must not be null");
        Objects.requireNonNull(position, "position must not be null");
        @Nullable NavigableMap<FeedPosition, EventDeadLetter> letters = this.deadLetters.get(subscription);
        return letters != null && letters.remove(position) != null;
    }

    /** Refuses a lease older than the one that stamped the checkpoint; throwing in compute leaves the entry as it was. */
    private static void requireStampable(@Nullable Checkpoint current, Lease lease) {
        @Nullable FencingToken stamp = (current != null) ? current.token() : null;
        if (stamp != null && stamp.isNewerThan(lease.token())) {
            throw new LeaseLostException(lease.resource(), lease.token(), null);
        }
    }

    @Override
    public String toString() {
        return "InMemoryEventStore[" + this.all.size() + " events]";
    }

    /**
     * A subscription's checkpoint.
     * @param position the last event handled, {@code null} when a lease claimed the checkpoint before any was saved
     * @param token the token of the newest lease that claimed or saved it, {@code null} when none did
     */
    private record Checkpoint(@Nullable FeedPosition position, @Nullable FencingToken token) {
    }
}
