package dev.quark.testkit.eventsourcing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import dev.quark.actor.ActivationException;
import dev.quark.actor.Actor;
import dev.quark.actor.QuarkActor;
import dev.quark.eventsourcing.AppendResult;
import dev.quark.eventsourcing.ConcurrencyException;
import dev.quark.eventsourcing.EventSourcedActor;
import dev.quark.eventsourcing.EventStore;
import dev.quark.eventsourcing.NewEvent;
import dev.quark.eventsourcing.Snapshot;
import dev.quark.eventsourcing.StoredEvent;
import dev.quark.eventsourcing.TruncatedStreamException;
import dev.quark.testkit.ActorTestKit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.awaitility.Awaitility.await;

/**
 * The behaviour every {@link EventStore} must have, so that the in-memory, PostgreSQL and Redis stores (and yours)
 * are interchangeable: versions without gaps, expected-version conflicts, idempotent appends by event id, payloads
 * kept character for character, snapshots, deletion and truncation of streams, and the same refusals of bad input;
 * and an {@link EventSourcedActor} on the store that truncates and deletes its stream.
 * <p>
 * Subclass it and return the store under test; every test uses streams of its own, so one store may serve all
 * tests of the class:
 * <pre>{@code
 * class MyEventStoreTests extends EventStoreContractTests {
 *     private final EventStore store = new MyEventStore(...);
 *
 *     @Override
 *     protected EventStore store() {
 *         return this.store;
 *     }
 * }
 * }</pre>
 */
public abstract class EventStoreContractTests {

    private static final AtomicLong ids = new AtomicLong();

    private final String run = Long.toHexString(System.nanoTime());

    /**
     * Deletes a stream's snapshot and nothing else, behind the store's back, as an operator deleting it by hand
     * would (or a failover losing it). The tests of a lost snapshot are skipped unless a subclass overrides this.
     * @param stream the stream
     */
    protected void deleteSnapshotByHand(String stream) {
        Assumptions.abort("deleteSnapshotByHand is not implemented for " + store());
    }

    /**
     * Returns the store under test.
     * @return the store
     */
    protected abstract EventStore store();

    /**
     * Returns a stream name no other test uses.
     * @return the stream name
     */
    protected final String newStream() {
        return "Account/contract-" + this.run + "-" + ids.incrementAndGet();
    }

    /**
     * Returns an actor id no other test uses.
     * @return the actor id
     */
    protected final String newActorId() {
        return "contract-" + this.run + "-" + ids.incrementAndGet();
    }

    /**
     * Creates an event with a fresh id.
     * @param type the type
     * @param payload the payload
     * @return the event
     */
    protected static NewEvent event(String type, String payload) {
        return new NewEvent(UUID.randomUUID(), type, 1, payload);
    }

    @Test
    public void aStreamNeverAppendedToIsEmptyAtVersionZero() {
        String stream = newStream();
        assertThat(store().version(stream)).isZero();
        assertThat(store().read(stream, 1, 100)).isEmpty();
        assertThat(store().loadSnapshot(stream)).isEmpty();
    }

    @Test
    public void appendedEventsGetVersionsFromOneAndComeBackAsAppended() {
        String stream = newStream();
        NewEvent opened = new NewEvent(UUID.randomUUID(), "Opened", 1, "{\"owner\":\"Ada\"}");
        NewEvent deposited = new NewEvent(UUID.randomUUID(), "Deposited", 3, "{\"amount\":10}");
        AppendResult result = store().append(stream, List.of(opened, deposited), 0);
        assertThat(result).isEqualTo(new AppendResult(2, false));
        assertThat(store().version(stream)).isEqualTo(2);
        List<StoredEvent> events = store().read(stream, 1, 100);
        assertThat(events).extracting(StoredEvent::stream).containsOnly(stream);
        assertThat(events).extracting(StoredEvent::version).containsExactly(1L, 2L);
        assertThat(events).extracting(StoredEvent::eventId).containsExactly(opened.eventId(), deposited.eventId());
        assertThat(events).extracting(StoredEvent::type).containsExactly("Opened", "Deposited");
        assertThat(events).extracting(StoredEvent::schemaVersion).containsExactly(1, 3);
        assertThat(events).extracting(StoredEvent::payload).containsExactly("{\"owner\":\"Ada\"}", "{\"amount\":10}");
        assertThat(events).allSatisfy((event) -> assertThat(event.recordedAt()).isNotNull());
    }

    @Test
    public void eachAppendContinuesFromTheVersionItExpected() {
        String stream = newStream();
        for (long version = 0; version < 5; version++) {
            assertThat(store().append(stream, List.of(event("Deposited", "{\"n\":" + version + "}")), version).version())
                .isEqualTo(version + 1);
        }
        assertThat(store().read(stream, 1, 100)).extracting(StoredEvent::payload)
            .containsExactly("{\"n\":0}", "{\"n\":1}", "{\"n\":2}", "{\"n\":3}", "{\"n\":4}");
    }

    @Test
    public void payloadsComeBackCharacterForCharacter() {
        String stream = newStream();
        List<String> payloads = List.of("{}", "  { \"spaced\" :\t1 }\n", "{\"text\":\"ünïcödé ✓ 𝄞 日本\"}",
                "{\"quotes\":\"\\\"\\\\ '\"}", "[1,2.50,1e3,-0,null,true]", "{\"big\":\"" + "x".repeat(1 << 18) + "\"}",
                "not json at all: stores do not parse");
        long version = 0;
        for (String payload : payloads) {
            version = store().append(stream, List.of(event("Noted", payload)), version).version();
        }
        assertThat(store().read(stream, 1, 100)).extracting(StoredEvent::payload).containsExactlyElementsOf(payloads);
    }

    @Test
    public void anAppendExpectingAnotherVersionIsRefusedNamingStreamAndVersionsAndAppendsNothing() {
        String stream = newStream();
        store().append(stream, List.of(event("Opened", "{}"), event("Deposited", "{}")), 0);
        assertThatExceptionOfType(ConcurrencyException.class)
            .isThrownBy(() -> store().append(stream, List.of(event("Deposited", "{}")), 1))
            .withMessageContaining("'" + stream + "'")
            .withMessageContaining("expected version 1")
            .withMessageContaining("version 2")
            .satisfies((ex) -> {
                assertThat(ex.getStream()).isEqualTo(stream);
                assertThat(ex.getExpectedVersion()).isEqualTo(1);
                assertThat(ex.getActualVersion()).isEqualTo(2);
            });
        assertThatExceptionOfType(ConcurrencyException.class)
            .isThrownBy(() -> store().append(stream, List.of(event("Opened", "{}")), 0))
            .satisfies((ex) -> assertThat(ex.getActualVersion()).isEqualTo(2));
        assertThat(store().version(stream)).isEqualTo(2);
        assertThat(store().read(stream, 1, 100)).hasSize(2);
    }

    @Test
    public void anAppendExpectingVersionsOfAStreamThatDoesNotExistIsRefused() {
        String stream = newStream();
        assertThatExceptionOfType(ConcurrencyException.class)
            .isThrownBy(() -> store().append(stream, List.of(event("Deposited", "{}")), 3))
            .withMessageContaining("version 0 (no events)");
        assertThat(store().version(stream)).isZero();
    }

    @Test
    public void anyVersionSkipsTheCheck() {
        String stream = newStream();
        store().append(stream, List.of(event("Opened", "{}")), EventStore.ANY_VERSION);
        assertThat(store().append(stream, List.of(event("Deposited", "{}")), EventStore.ANY_VERSION).version())
            .isEqualTo(2);
    }

    @Test
    public void appendingTheSameEventIdsAgainIsANoOpThatSucceeds() {
        String stream = newStream();
        NewEvent first = event("Opened", "{}");
        NewEvent second = event("Deposited", "{\"amount\":5}");
        store().append(stream, List.of(first, second), 0);
        store().append(stream, List.of(event("Deposited", "{\"amount\":1}")), 2);
        // a retry after a lost reply: its expected version is stale, yet it succeeds and writes nothing
        assertThat(store().append(stream, List.of(first, second), 0)).isEqualTo(new AppendResult(2, true));
        assertThat(store().append(stream, List.of(second), EventStore.ANY_VERSION)).isEqualTo(new AppendResult(2, true));
        assertThat(store().version(stream)).isEqualTo(3);
        assertThat(store().read(stream, 1, 100)).extracting(StoredEvent::eventId).doesNotHaveDuplicates().hasSize(3);
    }

    @Test
    public void anAppendRepeatingSomeButNotAllIdsIsRefusedAndAppendsNothing() {
        String stream = newStream();
        NewEvent first = event("Opened", "{}");
        store().append(stream, List.of(first), 0);
        assertThatIllegalArgumentException()
            .isThrownBy(() -> store().append(stream, List.of(first, event("Deposited", "{}")), 1))
            .withMessageContaining("'" + stream + "'")
            .withMessageContaining("repeats 1 of its 2 event ids");
        assertThat(store().version(stream)).isEqualTo(1);
    }

    @Test
    public void eventIdsAreUniquePerStreamNotAcrossStreams() {
        NewEvent shared = event("Opened", "{}");
        assertThat(store().append(newStream(), List.of(shared), 0)).isEqualTo(new AppendResult(1, false));
        assertThat(store().append(newStream(), List.of(shared), 0)).isEqualTo(new AppendResult(1, false));
    }

    @Test
    @Timeout(60)
    public void ofConcurrentAppendersExpectingTheSameVersionExactlyOneWins() throws Exception {
        String stream = newStream();
        store().append(stream, List.of(event("Opened", "{}")), 0);
        int writers = 8;
        ExecutorService executor = Executors.newFixedThreadPool(writers);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Boolean>> outcomes = new ArrayList<>();
            for (int i = 0; i < writers; i++) {
                int writer = i;
                Callable<Boolean> append = () -> {
                    start.await();
                    try {
                        store().append(stream, List.of(event("Deposited", "{\"by\":" + writer + "}")), 1);
                        return true;
                    }
                    catch (ConcurrencyException ex) {
                        return false;
                    }
                };
                outcomes.add(executor.submit(append));
            }
            start.countDown();
            int winners = 0;
            for (Future<Boolean> outcome : outcomes) {
                winners += outcome.get(30, TimeUnit.SECONDS) ? 1 : 0;
            }
            assertThat(winners).isEqualTo(1);
            assertThat(store().version(stream)).isEqualTo(2);
        }
        finally {
            executor.shutdownNow();
        }
    }

    @Test
    public void readsStartAtTheGivenVersionAndStopAtTheLimit() {
        String stream = newStream();
        List<NewEvent> events = new ArrayList<>();
        for (int i = 1; i <= 10; i++) {
            events.add(event("Deposited", "{\"n\":" + i + "}"));
        }
        store().append(stream, events, 0);
        assertThat(store().read(stream, 4, 3)).extracting(StoredEvent::version).containsExactly(4L, 5L, 6L);
        assertThat(store().read(stream, 9, 100)).extracting(StoredEvent::version).containsExactly(9L, 10L);
        assertThat(store().read(stream, 11, 100)).isEmpty();
    }

    @Test
    public void streamsWithAwkwardNamesAreKeptApart() {
        List<String> names = List.of(newStream() + ":a", newStream() + "{b}", newStream() + " ünï/c", newStream() + "%_");
        for (String name : names) {
            store().append(name, List.of(event("Named", "\"" + name.length() + "\"")), 0);
        }
        for (String name : names) {
            assertThat(store().read(name, 1, 10)).singleElement()
                .satisfies((event) -> assertThat(event.stream()).isEqualTo(name));
        }
    }

    @Test
    public void badArgumentsAreRefusedWithMessagesNamingThem() {
        String stream = newStream();
        NewEvent event = event("Opened", "{}");
        assertThatIllegalArgumentException().isThrownBy(() -> store().append(stream, List.of(), 0))
            .withMessageContaining("at least one event");
        assertThatIllegalArgumentException().isThrownBy(() -> store().append(stream, List.of(event, event), 0))
            .withMessageContaining("event id " + event.eventId() + " twice");
        assertThatIllegalArgumentException().isThrownBy(() -> store().append(" ", List.of(event), 0))
            .withMessageContaining("stream name");
        assertThatIllegalArgumentException().isThrownBy(() -> store().append("x".repeat(256), List.of(event), 0))
            .withMessageContaining("1 to 255 characters");
        assertThatIllegalArgumentException().isThrownBy(() -> store().append(stream, List.of(event), -2))
            .withMessageContaining("expected version -2");
        assertThatIllegalArgumentException().isThrownBy(() -> store().read(stream, 0, 10))
            .withMessageContaining("versions start at 1");
        assertThatIllegalArgumentException().isThrownBy(() -> store().read(stream, 1, 0))
            .withMessageContaining("at least 1");
        assertThatIllegalArgumentException().isThrownBy(() -> new NewEvent(UUID.randomUUID(), "Opened", 0, "{}"))
            .withMessageContaining("schema version 0");
        assertThat(store().version(stream)).isZero();
    }

    @Test
    public void theLatestSnapshotIsKeptAndAnOlderOneNeverReplacesIt() {
        String stream = newStream();
        List<NewEvent> nine = new ArrayList<>();
        for (int i = 0; i < 9; i++) {
            nine.add(event("Deposited", "{\"amount\":10}"));
        }
        store().append(stream, nine, 0);
        store().saveSnapshot(stream, new Snapshot(5, "{\"balance\":50}"));
        assertThat(store().loadSnapshot(stream)).contains(new Snapshot(5, "{\"balance\":50}"));
        store().saveSnapshot(stream, new Snapshot(9, "{\"balance\":90}"));
        store().saveSnapshot(stream, new Snapshot(7, "{\"balance\":70}"));
        store().saveSnapshot(stream, new Snapshot(9, "{\"balance\":-1}"));
        assertThat(store().loadSnapshot(stream)).contains(new Snapshot(9, "{\"balance\":90}"));
        assertThat(store().loadSnapshot(newStream())).isEmpty();
    }

    @Test
    public void aDeletedStreamIsEmptyAndStartsOverAtVersionOne() {
        String stream = newStream();
        String other = newStream();
        NewEvent opened = event("Opened", "{}");
        store().append(stream, List.of(opened, event("Deposited", "{\"amount\":10}")), 0);
        store().saveSnapshot(stream, new Snapshot(2, "{\"balance\":10}"));
        store().append(other, List.of(event("Opened", "{}")), 0);

        assertThat(store().deleteStream(stream, 2)).isEqualTo(2);

        assertThat(store().version(stream)).isZero();
        assertThat(store().read(stream, 1, 100)).isEmpty();
        assertThat(store().loadSnapshot(stream)).isEmpty();
        assertThat(store().version(other)).as("other streams are kept").isOne();
        AppendResult again = store().append(stream, List.of(opened), 0);
        assertThat(again).as("the deleted ids are free again").isEqualTo(new AppendResult(1, false));
        assertThat(store().read(stream, 1, 100)).extracting(StoredEvent::eventId).containsExactly(opened.eventId());
    }

    @Test
    public void aDeletionExpectingAnotherVersionIsRefusedAndDeletesNothing() {
        String stream = newStream();
        store().append(stream, List.of(event("Opened", "{}")), 0);
        assertThatExceptionOfType(ConcurrencyException.class).isThrownBy(() -> store().deleteStream(stream, 3))
            .withMessageContaining(stream);
        assertThat(store().version(stream)).isOne();
        assertThat(store().deleteStream(stream, EventStore.ANY_VERSION)).isOne();
        assertThat(store().version(stream)).isZero();
    }

    @Test
    public void deletingAStreamWithoutEventsDeletesNothing() {
        String stream = newStream();
        assertThat(store().deleteStream(stream, 0)).isZero();
        assertThat(store().deleteStream(stream, EventStore.ANY_VERSION)).isZero();
        assertThatIllegalArgumentException().isThrownBy(() -> store().deleteStream(" ", 0))
            .withMessageContaining("stream");
        assertThatIllegalArgumentException().isThrownBy(() -> store().deleteStream(stream, -2))
            .withMessageContaining("-2");
    }

    private String streamOf(int events) {
        String stream = newStream();
        List<NewEvent> appended = new ArrayList<>();
        for (int i = 1; i <= events; i++) {
            appended.add(event("Deposited", "{\"n\":" + i + "}"));
        }
        store().append(stream, appended, 0);
        return stream;
    }

    @Test
    public void aTruncatedStreamKeepsItsVersionAndTheEventsAfterTheTruncation() {
        String stream = streamOf(5);
        store().saveSnapshot(stream, new Snapshot(3, "{\"sum\":6}"));

        assertThat(store().truncateStream(stream, 3)).isEqualTo(3);

        assertThat(store().version(stream)).isEqualTo(5);
        assertThat(store().loadSnapshot(stream)).contains(new Snapshot(3, "{\"sum\":6}"));
        assertThat(store().read(stream, 1, 100)).as("a read from a truncated version starts at the first kept event")
            .extracting(StoredEvent::version)
            .containsExactly(4L, 5L);
        assertThat(store().read(stream, 2, 1)).extracting(StoredEvent::payload).containsExactly("{\"n\":4}");
        assertThat(store().read(stream, 5, 100)).extracting(StoredEvent::version).containsExactly(5L);
        assertThat(store().append(stream, List.of(event("Deposited", "{\"n\":6}")), 5).version()).isEqualTo(6);
        assertThat(store().read(stream, 1, 100)).extracting(StoredEvent::version).containsExactly(4L, 5L, 6L);
        assertThat(store().truncateStream(stream, 3)).as("truncated already").isZero();
        assertThat(store().truncateStream(stream, 2)).isZero();
        assertThat(store().truncateStream(stream, 0)).isZero();
        assertThat(store().version(stream)).isEqualTo(6);
    }

    @Test
    public void aStreamTruncatedThroughItsLastEventKeepsItsVersionAndContinuesAfterIt() {
        String stream = streamOf(3);
        store().saveSnapshot(stream, new Snapshot(3, "{\"sum\":6}"));

        assertThat(store().truncateStream(stream, 3)).isEqualTo(3);

        assertThat(store().version(stream)).isEqualTo(3);
        assertThat(store().read(stream, 1, 100)).isEmpty();
        assertThatExceptionOfType(ConcurrencyException.class)
            .isThrownBy(() -> store().append(stream, List.of(event("Deposited", "{}")), 0))
            .satisfies((ex) -> assertThat(ex.getActualVersion()).isEqualTo(3));
        assertThat(store().append(stream, List.of(event("Deposited", "{\"n\":4}")), 3)).isEqualTo(new AppendResult(4, false));
        assertThat(store().read(stream, 1, 100)).extracting(StoredEvent::version).containsExactly(4L);
        store().saveSnapshot(stream, new Snapshot(4, "{\"sum\":10}"));
        assertThat(store().loadSnapshot(stream)).contains(new Snapshot(4, "{\"sum\":10}"));
        assertThat(store().truncateStream(stream, 4)).isOne();
        assertThat(store().version(stream)).isEqualTo(4);
    }

    @Test
    public void aTruncationBeyondTheSnapshotOrTheStreamIsRefusedNamingTheVersionsAndDeletesNothing() {
        String stream = streamOf(4);
        assertThatIllegalArgumentException().isThrownBy(() -> store().truncateStream(stream, 1))
            .withMessageContaining("'" + stream + "'")
            .withMessageContaining("through version 1")
            .withMessageContaining("it has no snapshot")
            .withMessageContaining("nothing was truncated");
        store().saveSnapshot(stream, new Snapshot(2, "{\"sum\":3}"));
        assertThatIllegalArgumentException().isThrownBy(() -> store().truncateStream(stream, 3))
            .withMessageContaining("'" + stream + "'")
            .withMessageContaining("through version 3")
            .withMessageContaining("latest snapshot is at version 2");
        assertThatIllegalArgumentException().isThrownBy(() -> store().truncateStream(stream, 5))
            .withMessageContaining("'" + stream + "'")
            .withMessageContaining("through version 5")
            .withMessageContaining("the stream is at version 4");
        assertThatIllegalArgumentException().isThrownBy(() -> store().truncateStream(stream, -1))
            .withMessageContaining("through version -1");
        assertThatIllegalArgumentException().isThrownBy(() -> store().truncateStream(" ", 1))
            .withMessageContaining("stream name");
        assertThatIllegalArgumentException().isThrownBy(() -> store().truncateStream(newStream(), 1))
            .withMessageContaining("the stream is at version 0");
        assertThat(store().read(stream, 1, 100)).extracting(StoredEvent::version).containsExactly(1L, 2L, 3L, 4L);
        assertThat(store().version(stream)).isEqualTo(4);
    }

    @Test
    public void theIdsOfTruncatedEventsAreForgottenAndTheKeptOnesStillMakeAppendsIdempotent() {
        String stream = newStream();
        NewEvent first = event("Opened", "{}");
        NewEvent second = event("Deposited", "{}");
        store().append(stream, List.of(first), 0);
        store().append(stream, List.of(second), 1);
        store().saveSnapshot(stream, new Snapshot(1, "{}"));
        store().truncateStream(stream, 1);
        assertThat(store().append(stream, List.of(second), 0)).isEqualTo(new AppendResult(2, true));
        assertThat(store().append(stream, List.of(first), 2)).as("a new append").isEqualTo(new AppendResult(3, false));
        assertThat(store().read(stream, 1, 100)).extracting(StoredEvent::eventId)
            .containsExactly(second.eventId(), first.eventId());
    }

    @Test
    public void aDeletedTruncatedStreamStartsOverAtVersionOne() {
        String stream = streamOf(4);
        store().saveSnapshot(stream, new Snapshot(3, "{}"));
        store().truncateStream(stream, 3);
        assertThatExceptionOfType(ConcurrencyException.class).isThrownBy(() -> store().deleteStream(stream, 1))
            .satisfies((ex) -> assertThat(ex.getActualVersion()).isEqualTo(4));
        assertThat(store().deleteStream(stream, 4)).as("the kept events").isOne();
        assertThat(store().version(stream)).isZero();
        assertThat(store().loadSnapshot(stream)).isEmpty();
        assertThat(store().append(stream, List.of(event("Opened", "{}")), 0)).isEqualTo(new AppendResult(1, false));
        assertThat(store().read(stream, 1, 100)).extracting(StoredEvent::version).containsExactly(1L);
        assertThatIllegalArgumentException().isThrownBy(() -> store().truncateStream(stream, 1))
            .withMessageContaining("it has no snapshot");
    }

    @Test
    @Timeout(120)
    public void truncationsRacingAppendsLoseNoEvent() throws Exception {
        String stream = newStream();
        int appends = 150;
        ExecutorService executor = Executors.newSingleThreadExecutor();
        CountDownLatch truncatedOnce = new CountDownLatch(1);
        // the first append before the truncations start: every round of the racing thread counts, none is spent
        // waiting at version 0 (10,000 of them could pass before a slow first append, and no truncation happen)
        store().append(stream, List.of(event("Deposited", "{\"n\":1}")), 0);
        try {
            Future<Long> truncated = executor.submit(() -> {
                long deleted = 0;
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                for (int round = 0; round < 10_000 && System.nanoTime() < deadline; round++) {
                    long version = store().version(stream);
                    if (version >= appends) {
                        break;
                    }
                    store().saveSnapshot(stream, new Snapshot(version, "{\"at\":" + version + "}"));
                    deleted += store().truncateStream(stream, version);
                    truncatedOnce.countDown();
                }
                return deleted;
            });
            assertThat(truncatedOnce.await(30, TimeUnit.SECONDS)).as("a first truncation").isTrue();
            for (int version = 1; version < appends; version++) {
                // the expected version is the exact one: a truncation must neither move it nor drop this append
                store().append(stream, List.of(event("Deposited", "{\"n\":" + (version + 1) + "}")), version);
            }
            long deleted = truncated.get(90, TimeUnit.SECONDS);
            List<StoredEvent> kept = store().read(stream, 1, appends + 1);
            assertThat(store().version(stream)).isEqualTo(appends);
            assertThat(deleted).isPositive();
            assertThat(deleted + kept.size()).as("deleted and kept events").isEqualTo(appends);
            long first = appends - kept.size() + 1;
            for (int i = 0; i < kept.size(); i++) {
                assertThat(kept.get(i).version()).isEqualTo(first + i);
                assertThat(kept.get(i).payload()).isEqualTo("{\"n\":" + (first + i) + "}");
            }
            long covered = store().loadSnapshot(stream).map(Snapshot::version).orElse(0L);
            assertThat(covered).as("every deleted event is covered by the snapshot").isGreaterThanOrEqualTo(first - 1);
        }
        finally {
            executor.shutdownNow();
        }
    }

    @Test
    public void aSnapshotOrTruncationExpectingAnotherVersionIsRefusedNamingStreamAndVersionsAndWritesNothing() {
        String stream = newStream();
        store().append(stream, List.of(event("Opened", "{}"), event("Deposited", "{\"amount\":10}")), 0);

        assertThatExceptionOfType(ConcurrencyException.class)
            .isThrownBy(() -> store().saveSnapshot(stream, new Snapshot(1, "{\"at\":1}"), 1))
            .withMessageContaining("'" + stream + "'")
            .withMessageContaining("expected version 1")
            .withMessageContaining("version 2")
            .withMessageContaining("no snapshot was saved")
            .satisfies((ex) -> {
                assertThat(ex.getStream()).isEqualTo(stream);
                assertThat(ex.getExpectedVersion()).isEqualTo(1);
                assertThat(ex.getActualVersion()).isEqualTo(2);
            });
        assertThat(store().loadSnapshot(stream)).isEmpty();

        store().saveSnapshot(stream, new Snapshot(2, "{\"at\":2}"), 2);
        assertThat(store().loadSnapshot(stream)).map(Snapshot::version).contains(2L);

        assertThatExceptionOfType(ConcurrencyException.class)
            .isThrownBy(() -> store().truncateStream(stream, 2, 3))
            .withMessageContaining("'" + stream + "'")
            .withMessageContaining("expected version 3")
            .withMessageContaining("version 2")
            .withMessageContaining("nothing was truncated")
            .satisfies((ex) -> assertThat(ex.getActualVersion()).isEqualTo(2));
        assertThat(store().read(stream, 1, 10)).extracting(StoredEvent::version).containsExactly(1L, 2L);

        assertThat(store().truncateStream(stream, 1, 2)).isEqualTo(1);
        assertThat(store().truncateStream(stream, 2, EventStore.ANY_VERSION)).isEqualTo(1);
        assertThat(store().version(stream)).isEqualTo(2);
        assertThatExceptionOfType(ConcurrencyException.class)
            .isThrownBy(() -> store().saveSnapshot(newStream(), new Snapshot(1, "{}"), 1))
            .withMessageContaining("version 0 (no events)");
    }

    @Test
    public void badExpectedVersionsOfSnapshotsAndTruncationsAreRefusedNamingThem() {
        String stream = newStream();
        store().append(stream, List.of(event("Opened", "{}")), 0);
        assertThatIllegalArgumentException().isThrownBy(() -> store().saveSnapshot(stream, new Snapshot(1, "{}"), -2))
            .withMessageContaining("'" + stream + "'")
            .withMessageContaining("expected version -2");
        assertThatIllegalArgumentException().isThrownBy(() -> store().truncateStream(stream, 0, -2))
            .withMessageContaining("'" + stream + "'")
            .withMessageContaining("expected version -2");
        assertThatIllegalArgumentException().isThrownBy(() -> store().truncateStream(stream, -1, 1))
            .withMessageContaining("through version -1");
        assertThatIllegalArgumentException().isThrownBy(() -> store().truncateStream(stream, 1, 1))
            .withMessageContaining("it has no snapshot");
        assertThat(store().loadSnapshot(stream)).isEmpty();
        assertThat(store().read(stream, 1, 10)).hasSize(1);
    }

    @Test
    @Timeout(120)
    public void truncationsExpectingAVersionRacingAppendsNeverDeleteEventsTheirSnapshotDoesNotCover() throws Exception {
        String stream = newStream();
        int appends = 150;
        ExecutorService executor = Executors.newSingleThreadExecutor();
        CountDownLatch truncatedOnce = new CountDownLatch(1);
        // the first append before the truncations start: every round of the racing thread counts (see above)
        store().append(stream, List.of(event("Deposited", "{\"n\":1}")), 0);
        try {
            Future<long[]> truncated = executor.submit(() -> {
                long deleted = 0;
                long through = 0;
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                for (int round = 0; round < 10_000 && System.nanoTime() < deadline; round++) {
                    long version = store().version(stream);
                    if (version >= appends) {
                        break;
                    }
                    try {
                        // the state folded through `version`: its snapshot, then the truncation, both expecting it
                        store().saveSnapshot(stream, new Snapshot(version, "{\"at\":" + version + "}"), version);
                        deleted += store().truncateStream(stream, version, version);
                        through = version;
                        truncatedOnce.countDown();
                    }
                    catch (ConcurrencyException ex) {
                        assertThat(ex.getExpectedVersion()).isEqualTo(version);
                        assertThat(ex.getActualVersion()).isGreaterThan(version);
                    }
                }
                return new long[] { deleted, through };
            });
            assertThat(truncatedOnce.await(30, TimeUnit.SECONDS)).as("a first truncation").isTrue();
            for (int version = 1; version < appends; version++) {
                store().append(stream, List.of(event("Deposited", "{\"n\":" + (version + 1) + "}")), version);
            }
            long[] outcome = truncated.get(90, TimeUnit.SECONDS);
            long deleted = outcome[0];
            long through = outcome[1];
            List<StoredEvent> kept = store().read(stream, 1, appends + 1);
            assertThat(store().version(stream)).isEqualTo(appends);
            assertThat(deleted).as("deleted events").isEqualTo(through);
            assertThat(kept).as("every event after the last truncation, none before").hasSize((int) (appends - through));
            for (int i = 0; i < kept.size(); i++) {
                assertThat(kept.get(i).version()).isEqualTo(through + 1 + i);
                assertThat(kept.get(i).payload()).isEqualTo("{\"n\":" + (through + 1 + i) + "}");
            }
            assertThat(store().loadSnapshot(stream)).map(Snapshot::version).hasValueSatisfying(
                    (version) -> assertThat(version).as("the snapshot covers every deleted event").isGreaterThanOrEqualTo(through));
        }
        finally {
            executor.shutdownNow();
        }
    }

    @Test
    public void aStreamTruncatedThroughItsLastEventWhoseSnapshotIsLostFailsItsActivationNamingTheTruncation() {
        String id = newActorId();
        String stream;
        try (ActorTestKit kit = ActorTestKit.builder().actor(TallyActor.class).eventStore(store()).build()) {
            Tally tally = kit.get(Tally.class, id);
            for (int i = 1; i <= 4; i++) {
                tally.add(i);
            }
            stream = tally.eventStream();
            assertThat(tally.truncate()).isEqualTo(4);
        }
        deleteSnapshotByHand(stream);
        assertThat(store().loadSnapshot(stream)).isEmpty();
        assertThat(store().version(stream)).as("a truncated stream keeps its version").isEqualTo(4);
        try (ActorTestKit kit = ActorTestKit.builder().actor(TallyActor.class).eventStore(store()).build()) {
            Tally tally = kit.get(Tally.class, id);
            for (int attempt = 0; attempt < 2; attempt++) {
                assertThatExceptionOfType(ActivationException.class).isThrownBy(tally::sum)
                    .havingCause()
                    .isInstanceOf(TruncatedStreamException.class)
                    .withMessageContaining("'" + stream + "'")
                    .withMessageContaining("truncated through version 4")
                    .withMessageContaining("the stream has no snapshot")
                    .satisfies((ex) -> {
                        assertThat(((TruncatedStreamException) ex).getTruncatedVersion()).isEqualTo(4);
                        assertThat(((TruncatedStreamException) ex).getSnapshotVersion()).isZero();
                    });
            }
        }
        assertThat(store().version(stream)).as("nothing was appended").isEqualTo(4);
    }

    @Test
    public void aStreamTruncatedBeforeKeptEventsWhoseSnapshotIsLostFailsItsActivationNamingTheTruncation() {
        String id = newActorId();
        String stream;
        try (ActorTestKit kit = ActorTestKit.builder().actor(TallyActor.class).eventStore(store()).build()) {
            Tally tally = kit.get(Tally.class, id);
            for (int i = 1; i <= 4; i++) {
                tally.add(i);
            }
            stream = tally.eventStream();
            assertThat(tally.truncate()).isEqualTo(4);
            tally.add(5);
        }
        deleteSnapshotByHand(stream);
        try (ActorTestKit kit = ActorTestKit.builder().actor(TallyActor.class).eventStore(store()).build()) {
            assertThatExceptionOfType(ActivationException.class).isThrownBy(() -> kit.get(Tally.class, id).sum())
                .havingCause()
                .isInstanceOf(TruncatedStreamException.class)
                .withMessageContaining("'" + stream + "'")
                .withMessageContaining("truncated through version 4")
                .withMessageContaining("no snapshot covers the truncated events");
        }
        assertThat(store().read(stream, 1, 10)).extracting(StoredEvent::version).containsExactly(5L);
    }

    @Test
    public void anActorsStateRebuiltAfterATruncationEqualsTheStateBefore() {
        String id = newActorId();
        String stream;
        try (ActorTestKit kit = ActorTestKit.builder().actor(TallyActor.class).eventStore(store()).build()) {
            Tally tally = kit.get(Tally.class, id);
            for (int i = 1; i <= 7; i++) {
                tally.add(i);
            }
            stream = tally.eventStream();
            assertThat(tally.sumAt(2)).isEqualTo(3);

            assertThat(tally.truncate()).isEqualTo(7);

            assertThat(tally.sum()).isEqualTo(28);
            assertThat(tally.version()).isEqualTo(7);
            assertThat(store().read(stream, 1, 100)).isEmpty();
            assertThat(store().loadSnapshot(stream)).map(Snapshot::version).contains(7L);
            assertThat(tally.add(10)).isEqualTo(38);
        }
        try (ActorTestKit kit = ActorTestKit.builder().actor(TallyActor.class).eventStore(store()).build()) {
            Tally tally = kit.get(Tally.class, id);
            assertThat(tally.sum()).isEqualTo(38);
            assertThat(tally.version()).isEqualTo(8);
            assertThat(tally.sumAt(8)).isEqualTo(38);
            assertThat(tally.sumAt(7)).isEqualTo(28);
            assertThat(tally.sumAt(0)).isZero();
            assertThatIllegalArgumentException().isThrownBy(() -> tally.sumAt(6))
                .withMessageContaining("'" + stream + "'")
                .withMessageContaining("truncated through version 7")
                .withMessageContaining("no state at version 6");
            assertThat(tally.add(1)).isEqualTo(39);
            assertThat(store().read(stream, 1, 100)).extracting(StoredEvent::version).containsExactly(8L, 9L);
        }
    }

    @Test
    public void anActorThatTruncatesAfterEachSnapshotKeepsOnlyTheEventsAfterItsLatestSnapshot() {
        String id = newActorId();
        String stream;
        try (ActorTestKit kit = ActorTestKit.builder().actor(TruncatingTallyActor.class).eventStore(store()).build()) {
            TruncatingTally tally = kit.get(TruncatingTally.class, id);
            for (int i = 1; i <= 7; i++) {
                tally.add(i);
            }
            stream = tally.eventStream();
        }
        // snapshots at 3 and 6, each followed by a truncation through it
        assertThat(store().loadSnapshot(stream)).map(Snapshot::version).contains(6L);
        assertThat(store().read(stream, 1, 100)).extracting(StoredEvent::version).containsExactly(7L);
        try (ActorTestKit kit = ActorTestKit.builder().actor(TruncatingTallyActor.class).eventStore(store()).build()) {
            assertThat(kit.get(TruncatingTally.class, id).add(0)).isEqualTo(28);
            assertThat(store().version(stream)).isEqualTo(8);
        }
    }

    @Test
    public void anActorThatDeletesItsStreamEndsItsActivationAndTheNextCallSeesAnEmptyStream() {
        String id = newActorId();
        try (ActorTestKit kit = ActorTestKit.builder().actor(TallyActor.class).eventStore(store()).build()) {
            Tally tally = kit.get(Tally.class, id);
            for (int i = 1; i <= 4; i++) {
                tally.add(i);
            }
            String stream = tally.eventStream();
            assertThat(store().loadSnapshot(stream)).isPresent();

            assertThat(tally.delete()).isEqualTo(4);

            await().atMost(Duration.ofSeconds(30)).until(() -> !kit.isActive(Tally.class, id));
            assertThat(store().version(stream)).isZero();
            assertThat(store().loadSnapshot(stream)).isEmpty();
            assertThat(tally.sum()).isZero();
            assertThat(tally.version()).isZero();
            assertThat(tally.add(5)).isEqualTo(5);
            assertThat(store().read(stream, 1, 100)).extracting(StoredEvent::version).containsExactly(1L);
        }
    }

    @Test
    public void anActorsDeletionOfAStreamThatChangedBehindItDeletesNothingAndEndsItsActivation() {
        String id = newActorId();
        try (ActorTestKit kit = ActorTestKit.builder().actor(TallyActor.class).eventStore(store()).build()) {
            Tally tally = kit.get(Tally.class, id);
            tally.add(1);
            String stream = tally.eventStream();
            store().append(stream, List.of(event("Added", "{\"amount\":2}")), 1);

            assertThatExceptionOfType(ConcurrencyException.class).isThrownBy(tally::delete)
                .withMessageContaining("'" + stream + "'")
                .withMessageContaining("expected version 1");

            await().atMost(Duration.ofSeconds(30)).until(() -> !kit.isActive(Tally.class, id));
            assertThat(store().version(stream)).isEqualTo(2);
            assertThat(tally.sum()).isEqualTo(3);
        }
    }

    @Test
    public void anActorsTruncationOfAStreamThatChangedBehindItSavesAndDeletesNothingAndEndsItsActivation() {
        String id = newActorId();
        try (ActorTestKit kit = ActorTestKit.builder().actor(TallyActor.class).eventStore(store()).build()) {
            Tally tally = kit.get(Tally.class, id);
            for (int i = 1; i <= 4; i++) {
                tally.add(i);
            }
            String stream = tally.eventStream();
            // a stale activation at version 4: behind it the stream was deleted and written again, without a snapshot
            store().deleteStream(stream, EventStore.ANY_VERSION);
            for (int i = 0; i < 5; i++) {
                store().append(stream, List.of(event("Added", "{\"amount\":100}")), i);
            }

            assertThatExceptionOfType(ConcurrencyException.class).isThrownBy(tally::truncate)
                .withMessageContaining("'" + stream + "'")
                .withMessageContaining("expected version 4")
                .withMessageContaining("version 5")
                .withMessageContaining("nothing was truncated");

            assertThat(store().loadSnapshot(stream)).as("no stale snapshot").isEmpty();
            assertThat(store().read(stream, 1, 100)).extracting(StoredEvent::version)
                .containsExactly(1L, 2L, 3L, 4L, 5L);
            await().atMost(Duration.ofSeconds(30)).until(() -> !kit.isActive(Tally.class, id));
            assertThat(tally.sum()).isEqualTo(500);
            assertThat(tally.version()).isEqualTo(5);
        }
    }

    @Test
    public void aSnapshotBeyondTheStreamsVersionIsNotKept() {
        String stream = newStream();
        store().append(stream, List.of(event("Opened", "{}"), event("Deposited", "{\"amount\":10}")), 0);
        store().saveSnapshot(stream, new Snapshot(3, "{\"balance\":30}"));
        assertThat(store().loadSnapshot(stream)).as("the stream is at version 2").isEmpty();

        store().deleteStream(stream, 2);
        store().saveSnapshot(stream, new Snapshot(2, "{\"balance\":10}"));
        assertThat(store().loadSnapshot(stream)).as("a snapshot saved after the deletion is not kept").isEmpty();
        assertThat(store().loadSnapshot(newStream())).isEmpty();
    }

    /** The event of the actor the contract tests run on the store. */
    public sealed interface TallyEvent permits Added {
    }

    /**
     * An amount was added.
     * @param amount the amount
     */
    public record Added(long amount) implements TallyEvent {
    }

    /**
     * The state of the actor the contract tests run on the store.
     * @param sum the sum of the amounts
     * @param count how many were added
     */
    public record Total(long sum, int count) {
    }

    /** The contract of the actor the contract tests run on the store. */
    public interface Tally extends Actor {

        /**
         * Adds an amount.
         * @param amount the amount
         * @return the sum
         */
        long add(long amount);

        /**
         * Returns the sum.
         * @return the sum
         */
        long sum();

        /**
         * Returns the stream's version.
         * @return the version
         */
        long version();

        /**
         * Returns the sum at a version.
         * @param version the version
         * @return the sum
         */
        long sumAt(long version);

        /**
         * Truncates the stream through its version.
         * @return how many events were deleted
         */
        long truncate();

        /**
         * Deletes the stream.
         * @return how many events were deleted
         */
        long delete();

        /**
         * Returns the stream's name.
         * @return the name
         */
        String eventStream();
    }

    /** The contract of the actor that truncates its stream after each snapshot. */
    public interface TruncatingTally extends Actor {

        /**
         * Adds an amount.
         * @param amount the amount
         * @return the sum
         */
        long add(long amount);

        /**
         * Returns the stream's name.
         * @return the name
         */
        String eventStream();
    }

    /** Sums amounts; a snapshot every 3 events. */
    @QuarkActor
    public static class TallyActor extends EventSourcedActor<Total, TallyEvent> implements Tally {

        @Override
        protected Total initialState() {
            return new Total(0, 0);
        }

        @Override
        protected Total apply(Total state, TallyEvent event) {
            return switch (event) {
                case Added added -> new Total(state.sum() + added.amount(), state.count() + 1);
            };
        }

        @Override
        protected int snapshotEvery() {
            return 3;
        }

        @Override
        public long add(long amount) {
            emit(new Added(amount));
            return state().sum();
        }

        @Override
        public long sum() {
            return state().sum();
        }

        @Override
        public long version() {
            return streamVersion();
        }

        @Override
        public long sumAt(long version) {
            return stateAt(version).sum();
        }

        @Override
        public long truncate() {
            return truncateStream();
        }

        @Override
        public long delete() {
            return deleteStream();
        }

        @Override
        public String eventStream() {
            return stream();
        }
    }

    /** Sums amounts; a snapshot every 3 events, each followed by a truncation through it. */
    @QuarkActor
    public static class TruncatingTallyActor extends EventSourcedActor<Total, TallyEvent> implements TruncatingTally {

        @Override
        protected Total initialState() {
            return new Total(0, 0);
        }

        @Override
        protected Total apply(Total state, TallyEvent event) {
            return switch (event) {
                case Added added -> new Total(state.sum() + added.amount(), state.count() + 1);
            };
        }

        @Override
        protected int snapshotEvery() {
            return 3;
        }

        @Override
        protected boolean truncateAfterSnapshot() {
            return true;
        }

        @Override
        public long add(long amount) {
            emit(new Added(amount));
            return state().sum();
        }

        @Override
        public String eventStream() {
            return stream();
        }
    }
}
