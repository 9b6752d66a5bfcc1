package dev.quark.testkit.eventsourcing;

import java.util.List;
import java.util.Optional;
import java.util.UUID;

import dev.quark.actor.ActivationException;
import dev.quark.actor.Actor;
import dev.quark.actor.QuarkActor;
import dev.quark.eventsourcing.AppendResult;
import dev.quark.eventsourcing.ConcurrencyException;
import dev.quark.eventsourcing.EventDeserializationException;
import dev.quark.eventsourcing.EventSourcedActor;
import dev.quark.eventsourcing.EventStore;
import dev.quark.eventsourcing.EventType;
import dev.quark.eventsourcing.EventUpcaster;
import dev.quark.eventsourcing.NewEvent;
import dev.quark.eventsourcing.Snapshot;
import dev.quark.eventsourcing.StoredEvent;
import dev.quark.eventsourcing.TruncatedStreamException;
import dev.quark.eventsourcing.memory.InMemoryEventStore;
import dev.quark.testkit.ActorTestKit;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.node.ObjectNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class EventSourcedActorTests {

    sealed interface LedgerEvent permits Credited, Debited {
    }

    @EventType(value = "Credited", version = 2)
    record Credited(long cents, String memo) implements LedgerEvent {
    }

    record Debited(long cents) implements LedgerEvent {
    }

    record Balance(long cents, int entries) {
    }

    public interface Ledger extends Actor {

        long credit(long cents);

        long debit(long cents);

        long balance();

        long version();

        long balanceAt(long version);

        long truncate();
    }

    @QuarkActor
    public static class LedgerActor extends EventSourcedActor<Balance, LedgerEvent> implements Ledger {

        @Override
        protected Balance initialState() {
            return new Balance(0, 0);
        }

        @Override
        protected Balance apply(Balance state, LedgerEvent event) {
            return switch (event) {
                case Credited credited -> new Balance(state.cents() + credited.cents(), state.entries() + 1);
                case Debited debited -> new Balance(state.cents() - debited.cents(), state.entries() + 1);
            };
        }

        @Override
        protected int snapshotEvery() {
            return 3;
        }

        @Override
        public long credit(long cents) {
            emit(new Credited(cents, "credit"));
            return state().cents();
        }

        @Override
        public long debit(long cents) {
            if (cents > state().cents()) {
                throw new IllegalArgumentException("insufficient funds");
            }
            emit(new Debited(cents));
            return state().cents();
        }

        @Override
        public long balance() {
            return state().cents();
        }

        @Override
        public long version() {
            return streamVersion();
        }

        @Override
        public long balanceAt(long version) {
            return stateAt(version).cents();
        }

        @Override
        public long truncate() {
            return truncateStream();
        }
    }

    /** Truncates its stream through each snapshot. */
    @QuarkActor
    public static class TruncatingLedgerActor extends LedgerActor {

        @Override
        protected boolean truncateAfterSnapshot() {
            return true;
        }
    }

    @Test
    void emittedEventsAreAppendedToTheActorsStreamAndApplied() {
        try (ActorTestKit kit = ActorTestKit.builder().actor(LedgerActor.class).build()) {
            Ledger ledger = kit.get(Ledger.class, "alice");
            assertThat(ledger.credit(100)).isEqualTo(100);
            assertThat(ledger.debit(30)).isEqualTo(70);
            List<StoredEvent> events = kit.eventStore().read("Ledger/alice", 1, 10);
            assertThat(events).extracting(StoredEvent::type).containsExactly("Credited", "Debited");
            assertThat(events).extracting(StoredEvent::schemaVersion).containsExactly(2, 1);
            assertThat(events.get(0).payload()).isEqualTo("{\"cents\":100,\"memo\":\"credit\"}");
        }
    }

    @Test
    void aNewActivationRebuildsTheStateFromSnapshotAndLaterEvents() {
        InMemoryEventStore store = new InMemoryEventStore();
        try (ActorTestKit kit = ActorTestKit.builder().actor(LedgerActor.class).eventStore(store).build()) {
            Ledger ledger = kit.get(Ledger.class, "bob");
            for (int i = 1; i <= 7; i++) {
                ledger.credit(i);
            }
        }
        // every 3 events: snapshots at 3 and 6
        assertThat(store.loadSnapshot("Ledger/bob")).contains(new Snapshot(6, "{\"cents\":21,\"entries\":6}"));
        try (ActorTestKit kit = ActorTestKit.builder().actor(LedgerActor.class).eventStore(store).build()) {
            Ledger ledger = kit.get(Ledger.class, "bob");
            assertThat(ledger.balance()).isEqualTo(28);
            assertThat(ledger.version()).isEqualTo(7);
        }
    }

    @Test
    void theStateIsTheFoldOfTheEventsEvenWhenTheSnapshotCannotBeRead() {
        InMemoryEventStore store = new InMemoryEventStore();
        store.append("Ledger/carol", List.of(new NewEvent(UUID.randomUUID(), "Credited", 2, "{\"cents\":5,\"memo\":\"m\"}"),
                new NewEvent(UUID.randomUUID(), "Credited", 2, "{\"cents\":6,\"memo\":\"m\"}")), 0);
        store.saveSnapshot("Ledger/carol", new Snapshot(1, "{\"old shape\":true, \"cents\":\"x\"}"));
        try (ActorTestKit kit = ActorTestKit.builder().actor(LedgerActor.class).eventStore(store).build()) {
            assertThat(kit.get(Ledger.class, "carol").balance()).isEqualTo(11);
        }
    }

    @Test
    void aSnapshotThatCannotBeReadFailsTheActivationOnceTheEventsBeforeItWereTruncated() {
        InMemoryEventStore store = new InMemoryEventStore();
        store.append("Ledger/cleo", List.of(new NewEvent(UUID.randomUUID(), "Credited", 2, "{\"cents\":5,\"memo\":\"m\"}"),
                new NewEvent(UUID.randomUUID(), "Credited", 2, "{\"cents\":6,\"memo\":\"m\"}")), 0);
        store.saveSnapshot("Ledger/cleo", new Snapshot(1, "{\"old shape\":true, \"cents\":\"x\"}"));
        store.truncateStream("Ledger/cleo", 1);
        try (ActorTestKit kit = ActorTestKit.builder().actor(LedgerActor.class).eventStore(store).build()) {
            assertThatExceptionOfType(ActivationException.class).isThrownBy(() -> kit.get(Ledger.class, "cleo").balance())
                .havingCause()
                .withMessageContaining("Snapshot at version 1 of event stream 'Ledger/cleo' cannot be read")
                .withMessageContaining("events up to version 1 were truncated");
        }
        assertThat(store.version("Ledger/cleo")).isEqualTo(2);
    }

    @Test
    void theStateAtAPastVersionIsRebuiltForAudits() {
        try (ActorTestKit kit = ActorTestKit.builder().actor(LedgerActor.class).build()) {
            Ledger ledger = kit.get(Ledger.class, "dave");
            ledger.credit(10);
            ledger.credit(20);
            ledger.debit(5);
            ledger.credit(100);
            assertThat(ledger.balanceAt(0)).isZero();
            assertThat(ledger.balanceAt(2)).isEqualTo(30);
            assertThat(ledger.balanceAt(3)).isEqualTo(25);
            assertThat(ledger.balanceAt(4)).isEqualTo(125);
            assertThatIllegalArgumentException().isThrownBy(() -> ledger.balanceAt(5))
                .withMessageContaining("'Ledger/dave'")
                .withMessageContaining("no state at version 5");
        }
    }

    @Test
    void oldEventVersionsAreReadThroughUpcasters() {
        InMemoryEventStore store = new InMemoryEventStore();
        store.append("Ledger/erin", List.of(new NewEvent(UUID.randomUUID(), "Credited", 1, "{\"euros\":3}")), 0);
        EventUpcaster eurosToCents = EventUpcaster.of("Credited", 1, (payload) -> {
            ObjectNode node = (ObjectNode) payload;
            node.put("cents", node.remove("euros").asLong() * 100);
            return node.put("memo", "upcast");
        });
        try (ActorTestKit kit = ActorTestKit.builder()
            .actor(LedgerActor.class)
            .eventStore(store)
            .upcasters(eurosToCents)
            .build()) {
            assertThat(kit.get(Ledger.class, "erin").balance()).isEqualTo(300);
        }
        // without the upcaster the activation fails, naming what is missing
        try (ActorTestKit kit = ActorTestKit.builder().actor(LedgerActor.class).eventStore(store).build()) {
            assertThatExceptionOfType(ActivationException.class).isThrownBy(() -> kit.get(Ledger.class, "erin").balance())
                .havingRootCause()
                .isInstanceOf(EventDeserializationException.class)
                .withMessageContaining("no upcaster reads version 1");
        }
    }

    @Test
    void aCorruptEventFailsTheActivationNamingStreamVersionAndType() {
        InMemoryEventStore store = new InMemoryEventStore();
        store.append("Ledger/frank", List.of(new NewEvent(UUID.randomUUID(), "Credited", 2, "{\"cents\":1,\"memo\":\"m\"}"),
                new NewEvent(UUID.randomUUID(), "Debited", 1, "{\"cents\": not json")), 0);
        store.append("Ledger/gina", List.of(new NewEvent(UUID.randomUUID(), "Refunded", 1, "{}")), 0);
        try (ActorTestKit kit = ActorTestKit.builder().actor(LedgerActor.class).eventStore(store).build()) {
            assertThatExceptionOfType(ActivationException.class).isThrownBy(() -> kit.get(Ledger.class, "frank").balance())
                .havingCause()
                .isInstanceOf(EventDeserializationException.class)
                .withMessageContaining("Event version 2 of stream 'Ledger/frank' (type 'Debited', schema version 1)");
            assertThatExceptionOfType(ActivationException.class).isThrownBy(() -> kit.get(Ledger.class, "gina").balance())
                .havingRootCause()
                .withMessageContaining("type 'Refunded'")
                .withMessageContaining("no event class");
            assertThat(store.version("Ledger/frank")).isEqualTo(2);
        }
    }

    @Test
    void anAppendThatConflictsReachesTheCallerAndTheNextCallSeesTheStoresState() {
        InMemoryEventStore store = new InMemoryEventStore();
        try (ActorTestKit kit = ActorTestKit.builder().actor(LedgerActor.class).eventStore(store).build()) {
            Ledger ledger = kit.get(Ledger.class, "hank");
            ledger.credit(10);
            // another writer appends behind the activation's back
            store.append("Ledger/hank", List.of(new NewEvent(UUID.randomUUID(), "Credited", 2, "{\"cents\":5,\"memo\":\"x\"}")), 1);
            assertThatExceptionOfType(ConcurrencyException.class).isThrownBy(() -> ledger.credit(1))
                .withMessageContaining("'Ledger/hank'")
                .withMessageContaining("expected version 1")
                .withMessageContaining("version 2");
            assertThat(ledger.balance()).isEqualTo(15);
            assertThat(ledger.credit(1)).isEqualTo(16);
        }
    }

    @Test
    void aFailedTurnThatEmitsNothingLeavesTheStreamUnchanged() {
        try (ActorTestKit kit = ActorTestKit.builder().actor(LedgerActor.class).build()) {
            Ledger ledger = kit.get(Ledger.class, "ivy");
            ledger.credit(5);
            assertThatIllegalArgumentException().isThrownBy(() -> ledger.debit(50)).withMessage("insufficient funds");
            assertThat(kit.eventStore().version("Ledger/ivy")).isEqualTo(1);
        }
    }

    @Test
    void aSnapshotAfterTheDeletionOfTheStreamIsNotKeptAndTheActorEmitsOnTheEmptyStream() {
        InMemoryEventStore store = new InMemoryEventStore();
        try (ActorTestKit kit = ActorTestKit.builder().actor(LedgerActor.class).eventStore(store).build()) {
            Ledger ledger = kit.get(Ledger.class, "jane");
            ledger.credit(1);
            ledger.credit(2);
            // the stream is deleted between the append of the third event and the snapshot at version 3
            store.deleteStream("Ledger/jane", EventStore.ANY_VERSION);
            store.saveSnapshot("Ledger/jane", new Snapshot(3, "{\"cents\":6,\"entries\":3}"));
        }
        try (ActorTestKit kit = ActorTestKit.builder().actor(LedgerActor.class).eventStore(store).build()) {
            Ledger ledger = kit.get(Ledger.class, "jane");
            assertThat(ledger.version()).isZero();
            assertThat(ledger.credit(4)).isEqualTo(4);
            assertThat(store.version("Ledger/jane")).isOne();
        }
    }

    @Test
    void aSnapshotBeyondTheStreamsVersionIsIgnoredWhenTheStateIsRebuilt() {
        InMemoryEventStore events = new InMemoryEventStore();
        EventStore store = new EventStore() {

            @Override
            public AppendResult append(String stream, List<NewEvent> appended, long expectedVersion) {
                return events.append(stream, appended, expectedVersion);
            }

            @Override
            public List<StoredEvent> read(String stream, long fromVersion, int limit) {
                return events.read(stream, fromVersion, limit);
            }

            @Override
            public long version(String stream) {
                return events.version(stream);
            }

            @Override
            public void saveSnapshot(String stream, Snapshot snapshot) {
            }

            @Override
            public Optional<Snapshot> loadSnapshot(String stream) {
                // a store that kept a snapshot of a stream deleted since
                return Optional.of(new Snapshot(100, "{\"cents\":999,\"entries\":100}"));
            }
        };
        try (ActorTestKit kit = ActorTestKit.builder().actor(LedgerActor.class).eventStore(store).build()) {
            Ledger ledger = kit.get(Ledger.class, "kate");
            assertThat(ledger.version()).isZero();
            assertThat(ledger.credit(4)).isEqualTo(4);
            assertThat(ledger.credit(5)).isEqualTo(9);
            assertThat(events.version("Ledger/kate")).isEqualTo(2);
        }
    }

    @Test
    void aStreamThatChangedRightAfterTheAppendIsNeitherSnapshotNorTruncated() {
        InMemoryEventStore events = new InMemoryEventStore();
        EventStore store = new EventStore() {

            @Override
            public AppendResult append(String stream, List<NewEvent> appended, long expectedVersion) {
                AppendResult result = events.append(stream, appended, expectedVersion);
                if (result.version() == 3) {
                    // another activation deletes the stream and writes four events before this one's snapshot
                    events.deleteStream(stream, EventStore.ANY_VERSION);
                    for (int i = 0; i < 4; i++) {
                        events.append(stream, List.of(new NewEvent(UUID.randomUUID(), "Debited", 1,
                                "{\"cents\":1}")), i);
                    }
                }
                return result;
            }

            @Override
            public List<StoredEvent> read(String stream, long fromVersion, int limit) {
                return events.read(stream, fromVersion, limit);
            }

            @Override
            public long version(String stream) {
                return events.version(stream);
            }

            @Override
            public void saveSnapshot(String stream, Snapshot snapshot) {
                events.saveSnapshot(stream, snapshot);
            }

            @Override
            public Optional<Snapshot> loadSnapshot(String stream) {
                return events.loadSnapshot(stream);
            }

            @Override
            public long truncateStream(String stream, long version) {
                return events.truncateStream(stream, version);
            }
        };
        try (ActorTestKit kit = ActorTestKit.builder().actor(TruncatingLedgerActor.class).eventStore(store).build()) {
            Ledger ledger = kit.get(Ledger.class, "lena");
            ledger.credit(1);
            ledger.credit(2);
            assertThat(ledger.credit(3)).isEqualTo(6);

            assertThat(events.loadSnapshot("Ledger/lena")).as("no stale snapshot").isEmpty();
            assertThat(events.read("Ledger/lena", 1, 10)).extracting(StoredEvent::version)
                .containsExactly(1L, 2L, 3L, 4L);
        }
    }

    /**
     * Between the activation's snapshot read and its fold, another writer saves a newer snapshot and truncates the
     * stream through it: the fold finds a gap after the snapshot it read. The newer snapshot covers the gap, so the
     * activation reads it and starts over from it instead of failing as truncated.
     */
    @Test
    void aTruncationThroughANewerSnapshotBetweenTheSnapshotReadAndTheFoldIsReadAgain() {
        InMemoryEventStore events = new InMemoryEventStore();
        try (ActorTestKit kit = ActorTestKit.builder().actor(LedgerActor.class).eventStore(events).build()) {
            Ledger ledger = kit.get(Ledger.class, "tess");
            for (int cents = 1; cents <= 5; cents++) {
                ledger.credit(cents);
            }
        }
        assertThat(events.loadSnapshot("Ledger/tess")).map(Snapshot::version).contains(3L);
        int[] snapshotReads = { 0 };
        EventStore store = new RacingTruncationStore(events) {

            @Override
            public Optional<Snapshot> loadSnapshot(String stream) {
                Optional<Snapshot> read = events.loadSnapshot(stream);
                if (snapshotReads[0]++ == 0) {
                    events.saveSnapshot(stream, new Snapshot(4, "{\"cents\":10,\"entries\":4}"), 5);
                    assertThat(events.truncateStream(stream, 4, 5)).isEqualTo(4);
                }
                return read;
            }
        };
        try (ActorTestKit kit = ActorTestKit.builder().actor(LedgerActor.class).eventStore(store).build()) {
            Ledger ledger = kit.get(Ledger.class, "tess");
            assertThat(ledger.balance()).isEqualTo(15);
            assertThat(ledger.version()).isEqualTo(5);
            assertThat(snapshotReads[0]).as("snapshot reads: the first, the check, the load again").isEqualTo(3);
            assertThat(ledger.credit(6)).isEqualTo(21);
        }
    }

    /**
     * A gap no newer snapshot covers (the snapshot went back to an older one) still fails the activation, after one
     * more snapshot read.
     */
    @Test
    void aGapNoNewerSnapshotCoversFailsTheActivationAsTruncated() {
        InMemoryEventStore events = new InMemoryEventStore();
        try (ActorTestKit kit = ActorTestKit.builder().actor(TruncatingLedgerActor.class).eventStore(events).build()) {
            Ledger ledger = kit.get(Ledger.class, "tom");
            for (int cents = 1; cents <= 5; cents++) {
                ledger.credit(cents);
            }
        }
        assertThat(events.read("Ledger/tom", 1, 10)).extracting(StoredEvent::version).containsExactly(4L, 5L);
        int[] snapshotReads = { 0 };
        EventStore store = new RacingTruncationStore(events) {

            @Override
            public Optional<Snapshot> loadSnapshot(String stream) {
                // the snapshot went back to an older one (a Redis failover): it does not cover the truncated events
                snapshotReads[0]++;
                return Optional.of(new Snapshot(2, "{\"cents\":3,\"entries\":2}"));
            }
        };
        try (ActorTestKit kit = ActorTestKit.builder().actor(TruncatingLedgerActor.class).eventStore(store).build()) {
            assertThatExceptionOfType(ActivationException.class).isThrownBy(() -> kit.get(Ledger.class, "tom").balance())
                .havingRootCause()
                .isInstanceOfSatisfying(TruncatedStreamException.class, (ex) -> {
                    assertThat(ex.getTruncatedVersion()).isEqualTo(3);
                    assertThat(ex.getSnapshotVersion()).isEqualTo(2);
                });
            assertThat(snapshotReads[0]).isEqualTo(2);
        }
    }

    /** Passes every call to an in-memory store. */
    private static class RacingTruncationStore implements EventStore {

        private final InMemoryEventStore events;

        RacingTruncationStore(InMemoryEventStore events) {
            this.events = events;
        }

        @Override
        public AppendResult append(String stream, List<NewEvent> appended, long expectedVersion) {
            return this.events.append(stream, appended, expectedVersion);
        }

        @Override
        public List<StoredEvent> read(String stream, long fromVersion, int limit) {
            return this.events.read(stream, fromVersion, limit);
        }

        @Override
        public long version(String stream) {
            return this.events.version(stream);
        }

        @Override
        public void saveSnapshot(String stream, Snapshot snapshot) {
            this.events.saveSnapshot(stream, snapshot);
        }

        @Override
        public void saveSnapshot(String stream, Snapshot snapshot, long expectedVersion) {
            this.events.saveSnapshot(stream, snapshot, expectedVersion);
        }

        @Override
        public Optional<Snapshot> loadSnapshot(String stream) {
            return this.events.loadSnapshot(stream);
        }

        @Override
        public long truncateStream(String stream, long version, long expectedVersion) {
            return this.events.truncateStream(stream, version, expectedVersion);
        }
    }

    /**
     * The window the expected version closes: between the activation's snapshot and its truncation, another
     * activation deletes the stream and writes it again (a different history, at the same version 3, with its own
     * snapshot). The store refuses the truncation atomically, so the other history's events are kept.
     */
    @Test
    void aStreamRewrittenBetweenTheSnapshotAndTheTruncationIsNotTruncated() {
        InMemoryEventStore events = new InMemoryEventStore();
        EventStore store = new EventStore() {

            @Override
            public AppendResult append(String stream, List<NewEvent> appended, long expectedVersion) {
                return events.append(stream, appended, expectedVersion);
            }

            @Override
            public List<StoredEvent> read(String stream, long fromVersion, int limit) {
                return events.read(stream, fromVersion, limit);
            }

            @Override
            public long version(String stream) {
                return events.version(stream);
            }

            @Override
            public void saveSnapshot(String stream, Snapshot snapshot) {
                events.saveSnapshot(stream, snapshot);
            }

            @Override
            public void saveSnapshot(String stream, Snapshot snapshot, long expectedVersion) {
                events.saveSnapshot(stream, snapshot, expectedVersion);
                if (snapshot.version() == 2) {
                    events.deleteStream(stream, EventStore.ANY_VERSION);
                    for (int i = 0; i < 3; i++) {
                        events.append(stream, List.of(new NewEvent(UUID.randomUUID(), "Debited", 1,
                                "{\"cents\":1}")), i);
                    }
                    events.saveSnapshot(stream, new Snapshot(3, "{\"cents\":-3,\"entries\":3}"), 3);
                }
            }

            @Override
            public Optional<Snapshot> loadSnapshot(String stream) {
                return events.loadSnapshot(stream);
            }

            @Override
            public long truncateStream(String stream, long version) {
                return events.truncateStream(stream, version);
            }

            @Override
            public long truncateStream(String stream, long version, long expectedVersion) {
                return events.truncateStream(stream, version, expectedVersion);
            }
        };
        try (ActorTestKit kit = ActorTestKit.builder().actor(LedgerActor.class).eventStore(store).build()) {
            Ledger ledger = kit.get(Ledger.class, "mona");
            ledger.credit(1);
            ledger.credit(2);
            assertThatExceptionOfType(ConcurrencyException.class).isThrownBy(() -> kit.get(Ledger.class, "mona").truncate())
                .withMessageContaining("'Ledger/mona'")
                .withMessageContaining("expected version 2")
                .withMessageContaining("version 3")
                .withMessageContaining("nothing was truncated")
                .havingCause()
                .isInstanceOf(ConcurrencyException.class)
                .withMessageContaining("nothing was truncated");
            assertThat(events.read("Ledger/mona", 1, 10)).extracting(StoredEvent::version).containsExactly(1L, 2L, 3L);
            assertThat(events.loadSnapshot("Ledger/mona")).map(Snapshot::version).contains(3L);
        }
    }
}
