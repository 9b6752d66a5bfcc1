package dev.quark.testkit.cluster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import dev.quark.actor.ActorRuntimeClosedException;
import dev.quark.actor.ActorUnreachableException;
import dev.quark.cluster.SiloNotServingException;
import dev.quark.cluster.membership.SiloStatus;
import dev.quark.cluster.placement.HashPlacementDirector;
import dev.quark.runtime.ActorAddress;
import dev.quark.state.ConcurrencyException;
import dev.quark.state.JsonStateSerializer;
import dev.quark.state.StateActivationHook;
import dev.quark.state.StateKey;
import dev.quark.state.StateStore;
import dev.quark.state.StateStoreRegistry;
import dev.quark.state.StoredState;
import dev.quark.state.memory.InMemoryStateStore;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Churn: silos join, leave and die while callers keep adding to ledgers whose totals are saved by every call. No
 * ledger is ever active on two silos at once (an activation hook on every silo records it), no acknowledged
 * update is lost, and no failed call counts twice; a graceful leave fails no call, a kill fails calls only with
 * the cluster's typed exceptions.
 * <p>
 * The join/leave and kill scenarios are the same whatever the cluster runs on; each subclass says on what
 * (membership table, transport) with {@link #configure(TestCluster.Builder)} and how hard the callers press with its
 * {@link Load}. The restart, leaving-entry and pause scenarios run where a subclass declares them tests.
 * The ledgers' totals are kept in one state store the silos share ({@link #sharedStateStore()}: in memory, unless a
 * subclass keeps them on the server its membership table is on), through a {@link KillableStateStore} per silo.
 */
abstract class ClusterChurnTests {

    /** The longest a round of calls, a drain or an eviction may take. */
    static final Duration TIMEOUT = Duration.ofSeconds(30);

    /**
     * How hard the callers press.
     * @param ledgers how many ledgers they call
     * @param callers how many callers, each on a virtual thread
     * @param callsPerRound the calls the callers make between two membership changes (and before the first)
     */
    record Load(int ledgers, int callers, int callsPerRound) {
    }

    /**
     * The load of the variants on real servers and transports: a third of the ledgers, callers and calls of the
     * in-memory tests, so that each such class adds seconds, not a minute, to the suite on a 2-core machine.
     */
    static final Load SERVER_LOAD = new Load(300, 30, 1_000);

    final Load load;

    final List<String> ids;

    private @Nullable StateStore store;

    private final Map<String, KillableStateStore> siloStores = new ConcurrentHashMap<>();

    final ActivationRecord activations = new ActivationRecord();

    /** The name of this test's cluster, which no other test uses: its table and gRPC handshakes carry it. */
    final String clusterName = "churn-" + UUID.randomUUID().toString().substring(0, 8);

    TestCluster cluster;

    ClusterChurnTests(Load load) {
        this.load = load;
        this.ids = IntStream.range(0, load.ledgers()).mapToObj((i) -> "ledger-" + i).toList();
    }

    /**
     * Sets what the cluster runs on, its membership table and transport; called once per cluster, before the
     * test's own settings.
     * @param builder the builder of a cluster of 3 silos hosting the ledgers
     */
    abstract void configure(TestCluster.Builder builder);

    /**
     * Returns the state store the silos share for the ledgers' totals, made once per test, before its cluster: one
     * the test's own (no other test's totals in it). In memory by default.
     * @return the store
     */
    StateStore sharedStateStore() {
        return new InMemoryStateStore();
    }

    /**
     * Deletes what the test's cluster left on a server (its membership table, the ledgers' totals); called once the
     * cluster is closed. Nothing by default.
     */
    void cleanUp() {
    }

    @AfterEach
    void close() {
        // A scenario that failed while a silo was paused: its turns must not wait for their saves while it closes.
        this.siloStores.values().forEach(KillableStateStore::resume);
        try {
            if (this.cluster != null) {
                this.cluster.close();
            }
        }
        finally {
            cleanUp();
        }
    }

    @Test
    void silosJoiningAndLeavingGracefullyFailNoCallLoseNoUpdateAndNeverActivateALedgerTwice() {
        this.cluster = cluster((builder) -> {
        });
        try (LedgerCallers callers = new LedgerCallers(this.load.callers(), this.ids, this.cluster.runningSilos(),
                (failure) -> false)) {
            callers.awaitMoreCalls(this.load.callsPerRound(), TIMEOUT);
            join(callers);
            leave(callers, 0);
            join(callers);
            leave(callers, 1);
            callers.close();

            assertThat(callers.failures()).as(() -> summary(callers.failures())).isEmpty();
            assertThat(this.activations.duplicates()).isEmpty();
            for (String id : this.ids) {
                assertThat(persistedTotal(id)).as(id).isEqualTo(callers.acknowledged(id));
            }
            report("graceful churn", callers);
        }
    }

    @Test
    void killedSilosFailCallsOnlyWithTypedExceptionsLoseNoAcknowledgedUpdateAndNeverActivateALedgerTwice() {
        this.cluster = clusterDetectingFailuresFast();
        try (LedgerCallers callers = callersThroughRunningSilos()) {
            callers.awaitMoreCalls(this.load.callsPerRound(), TIMEOUT);
            kill(callers, 1);
            join(callers);
            kill(callers, 0);
            join(callers);
            callers.close();

            assertThat(this.activations.duplicates()).isEmpty();
            assertFailedOnlyTypedAndLostNoAcknowledgedUpdate(callers);
            report("kill churn", callers);
        }
    }

    /**
     * Callers keep entering through each silo that leaves, while it leaves and for a round after: they fail only with
     * typed exceptions, and no acknowledged update is lost. Run by the variants that declare it a test (in memory, and
     * gRPC on PostgreSQL), to keep the suite's time.
     */
    void callersThatKeepEnteringThroughALeavingSiloFailOnlyWithTypedExceptionsAndLoseNoAcknowledgedUpdate() {
        this.cluster = cluster((builder) -> {
        });
        // A call made on a silo's runtime that shut down ran nowhere, like one refused as not serving.
        try (LedgerCallers callers = new LedgerCallers(this.load.callers(), this.ids, this.cluster.runningSilos(),
                (failure) -> failure instanceof SiloNotServingException
                        || failure instanceof ActorRuntimeClosedException)) {
            callers.awaitMoreCalls(this.load.callsPerRound(), TIMEOUT);
            join(callers);
            leaveWhileCalledThrough(callers, 0);
            leaveWhileCalledThrough(callers, 1);
            callers.close();

            assertThat(this.activations.duplicates()).isEmpty();
            assertThat(callers.failures()).as(() -> summary(callers.failures()))
                .allSatisfy((failure) -> assertThat(failure).isInstanceOfAny(ActorUnreachableException.class,
                        ActorRuntimeClosedException.class));
            assertLostNoAcknowledgedUpdate(callers);
            report("leaves entered through", callers);
        }
    }

    /**
     * A killed silo and one that left start again with their old ids while the callers go on. Run by the variants
     * that declare it a test (in memory, and gRPC on PostgreSQL), to keep the suite's time.
     */
    void silosRestartedWithTheirOldIdsNeverActivateALedgerTwiceAndLoseNoAcknowledgedUpdate() {
        this.cluster = clusterDetectingFailuresFast();
        try (LedgerCallers callers = callersThroughRunningSilos()) {
            callers.awaitMoreCalls(this.load.callsPerRound(), TIMEOUT);
            kill(callers, 1);
            restart(callers, 1);
            leave(callers, 0);
            restart(callers, 0);
            callers.close();

            assertThat(this.activations.duplicates()).isEmpty();
            assertFailedOnlyTypedAndLostNoAcknowledgedUpdate(callers);
            assertThat(this.cluster.runningSilos()).extracting(TestSilo::siloId)
                .containsExactlyInAnyOrder("silo-0", "silo-1", "silo-2");
            report("restarts with old ids", callers);
        }
    }

    /**
     * A silo pauses (a long garbage collection) with saves of its ledgers on their way to the store, is voted dead
     * while paused, and comes back after its ledgers moved: its activations count as ended at the pause, it activates
     * nothing from when it stopped serving until it has rejoined with a new epoch, its late saves are refused by the
     * store's version check or land before the new owner's first save (whose call then fails with
     * {@code ConcurrencyException}, nothing written), and no acknowledged update is lost. On the in-JVM network the
     * paused silo is isolated: sends to it fail at once (as to a host that refuses connections), so its peers may vote
     * it dead before its own pause limit. Over gRPC its envelopes are held both ways: its peers' probes time out, and
     * what it received and sent during the pause is handed over and sent late as it resumes (calls it no longer
     * serves). Run by the in-memory variant and the gRPC one on Redis.
     */
    void aSiloPausedPastItsEvictionActivatesNothingUntilItRejoinsAndLosesNoAcknowledgedUpdate() {
        this.cluster = clusterDetectingFailuresFast();
        // A late save refused as conflicting wrote nothing, like a call refused as not serving.
        try (LedgerCallers callers = new LedgerCallers(this.load.callers(), this.ids, this.cluster.runningSilos(),
                (failure) -> failure instanceof SiloNotServingException || failure instanceof ConcurrencyException)) {
            callers.awaitMoreCalls(this.load.callsPerRound(), TIMEOUT);
            Pause pause = pause(callers, 1);
            KillableStateStore paused = pause.store();
            List<String> beforeItStopped = pause.activatedBeforeItStoppedServing();
            assertThat(beforeItStopped).allSatisfy((duplicate) -> assertThat(duplicate)
                .endsWith("activated on silo-1 after its pause, before it rejoined"));
            resume(callers, 1, paused);
            callers.close();

            assertThat(this.activations.duplicates()).as("once it stopped serving").isEqualTo(beforeItStopped);
            assertThat(callers.failures()).as(() -> summary(callers.failures()))
                .allSatisfy((failure) -> assertThat(failure).isInstanceOfAny(ActorUnreachableException.class,
                        ConcurrencyException.class));
            assertLostNoAcknowledgedUpdate(callers);
            assertThat(paused.heldSaves()).as("saves caught by the pause").isPositive();
            assertThat(paused.lateSavesWritten() + paused.lateSavesRefused()).as("late saves that reached the store")
                .isEqualTo(paused.heldSaves());
            System.out.printf("%s, pause: %d late saves, %d written, %d refused as conflicting; %d ledgers "
                    + "activated on the paused silo before it stopped serving%n", getClass().getSimpleName(),
                    paused.heldSaves(), paused.lateSavesWritten(), paused.lateSavesRefused(), beforeItStopped.size());
            report("pause past eviction", callers);
        }
    }

    /**
     * A rolling restart of the 3 silos, each in turn leaving before a new one joins, while callers keep calling
     * through the running silos (they stop entering through each silo before it leaves, as a load balancer that
     * drains a node first): no call fails, no acknowledged update is lost, no ledger is activated twice. Run by the
     * variants that declare it a test (in memory, and gRPC on PostgreSQL, where the leavers say goodbye).
     */
    void aRollingRestartWithCallersCallingMeanwhileFailsNoCallAndLosesNoUpdate() {
        this.cluster = cluster((builder) -> {
        });
        try (LedgerCallers callers = new LedgerCallers(this.load.callers(), this.ids, this.cluster.runningSilos(),
                (failure) -> false)) {
            callers.awaitMoreCalls(this.load.callsPerRound(), TIMEOUT);
            for (int restarted = 0; restarted < 3; restarted++) {
                leave(callers, restarted);
                join(callers);
            }
            callers.close();

            assertThat(callers.failures()).as(() -> summary(callers.failures())).isEmpty();
            assertThat(this.activations.duplicates()).isEmpty();
            for (String id : this.ids) {
                assertThat(persistedTotal(id)).as(id).isEqualTo(callers.acknowledged(id));
            }
            assertThat(this.cluster.runningSilos()).extracting(TestSilo::siloId)
                .doesNotContain("silo-0", "silo-1", "silo-2");
            report("rolling restart with callers", callers);
        }
    }

    /**
     * A rolling restart of the 3 silos, each in turn leaving before a new one joins, every ledger called once after
     * each change: each ledger is activated again exactly as often as its owner changed on the ring. Run by the
     * variants that declare it a test (in memory, and gRPC on PostgreSQL).
     */
    void rollingRestartMovesOnlyTheLedgersWhoseRangesChangeHands() {
        this.cluster = cluster((builder) -> {
        });
        List<Map<String, String>> owners = new ArrayList<>();
        owners.add(touchAll());
        for (int restarted = 0; restarted < 3; restarted++) {
            this.cluster.stopSilo(restarted);
            owners.add(touchAll());
            this.cluster.addSilo();
            owners.add(touchAll());
        }

        int moves = movesAsOftenAsOwnersChanged(owners);
        assertThat(this.activations.duplicates()).isEmpty();
        System.out.printf("%s, rolling restart of 3 silos (leave, then a new one joins): %d moves of %d ledgers "
                + "(%.2f per ledger)%n", getClass().getSimpleName(), moves, this.ids.size(),
                (double) moves / this.ids.size());
    }

    /**
     * A rolling restart that starts each new silo before the old one leaves moves fewer ledgers. Run by the variants
     * that declare it a test (in memory, over 1,000 ledgers, and gRPC on PostgreSQL, over 300: the silos' ids are the
     * same in each run, so is the ring, and with it the count the bound is checked against).
     */
    void aRollingRestartThatStartsTheNewSiloFirstMovesFewerLedgers() {
        this.cluster = cluster((builder) -> {
        });
        List<Map<String, String>> owners = new ArrayList<>();
        owners.add(touchAll());
        for (int restarted = 0; restarted < 3; restarted++) {
            this.cluster.addSilo();
            owners.add(touchAll());
            this.cluster.stopSilo(restarted);
            owners.add(touchAll());
        }

        int moves = movesAsOftenAsOwnersChanged(owners);
        assertThat(this.activations.duplicates()).isEmpty();
        // Each restart moves the new silo's quarter at the join and the leaver's quarter at the leave: about 1.5
        // moves per ledger in all, against 2.0 when each silo leaves before its successor joins.
        assertThat(moves).as("moves of %d ledgers", this.ids.size()).isLessThan(this.ids.size() * 7 / 4);
        System.out.printf("%s, rolling restart of 3 silos (a new one joins, then one leaves): %d moves of %d ledgers "
                + "(%.2f per ledger)%n", getClass().getSimpleName(), moves, this.ids.size(),
                (double) moves / this.ids.size());
    }

    /**
     * Checks that each ledger was activated again exactly as often as its owner changed between the rounds of
     * owners given, and returns the moves of all ledgers.
     */
    private int movesAsOftenAsOwnersChanged(List<Map<String, String>> owners) {
        int moves = 0;
        for (String id : this.ids) {
            int changes = (int) IntStream.range(1, owners.size())
                .filter((i) -> !owners.get(i).get(id).equals(owners.get(i - 1).get(id)))
                .count();
            int moved = this.activations.activations("Ledger/" + id) - 1;
            assertThat(moved).as(id + " moved as often as its owner changed").isEqualTo(changes);
            moves += moved;
        }
        return moves;
    }

    /** Calls every ledger once, through the running silos in turn; returns each one's owner afterwards. */
    private Map<String, String> touchAll() {
        // On a real server's table the silos read a change a moment apart: the owners below are those of the view all
        // of them route with.
        LedgerCallers.awaitAtMost(TIMEOUT).until(() -> {
            long version = this.cluster.membership().read().version();
            return this.cluster.runningSilos().stream().allMatch((silo) -> silo.routing().view().version() == version);
        });
        List<TestSilo> silos = this.cluster.runningSilos();
        try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Long>> calls = IntStream.range(0, this.ids.size())
                .mapToObj((i) -> callers.submit(() -> silos.get(i % silos.size()).get(Ledger.class, this.ids.get(i))
                    .add(1)))
                .toList();
            for (Future<Long> call : calls) {
                assertThat(call).succeedsWithin(TIMEOUT);
            }
        }
        TestSilo viewer = silos.getFirst();
        HashPlacementDirector placement = new HashPlacementDirector();
        Map<String, String> owners = new HashMap<>();
        this.ids.forEach((id) -> owners.put(id, placement.ownerOf(new ActorAddress("Ledger", id), viewer.routing().view())));
        return owners;
    }

    /** A cluster whose failure detection evicts a silo that stopped answering within about a second. */
    TestCluster clusterDetectingFailuresFast() {
        return cluster((builder) -> builder.failureDetection((settings) -> settings
            .probeInterval(Duration.ofMillis(200))
            .probeTimeout(Duration.ofMillis(500))
            .tableRefreshInterval(Duration.ofMillis(500))));
    }

    /**
     * Callers entering through the running silos, for which a call refused as not serving ran nowhere (not an
     * unknown outcome).
     */
    LedgerCallers callersThroughRunningSilos() {
        return new LedgerCallers(this.load.callers(), this.ids, this.cluster.runningSilos(),
                (failure) -> failure instanceof SiloNotServingException);
    }

    /**
     * Asserts that calls failed only with the cluster's typed exceptions and that each ledger's stored total lies
     * between the calls acknowledged for it and those plus the calls whose outcome is unknown.
     */
    void assertFailedOnlyTypedAndLostNoAcknowledgedUpdate(LedgerCallers callers) {
        assertThat(callers.failures()).as(() -> summary(callers.failures()))
            .allSatisfy((failure) -> assertThat(failure).isInstanceOf(ActorUnreachableException.class));
        assertLostNoAcknowledgedUpdate(callers);
    }

    /**
     * Asserts that each ledger's stored total lies between the calls acknowledged for it and those plus the calls
     * whose outcome is unknown.
     */
    void assertLostNoAcknowledgedUpdate(LedgerCallers callers) {
        for (String id : this.ids) {
            assertThat(persistedTotal(id)).as(id + ": acknowledged, then with the unknown outcomes")
                .isBetween(callers.acknowledged(id), callers.acknowledged(id) + callers.unknown(id));
        }
    }

    TestCluster cluster(Consumer<TestCluster.Builder> settings) {
        StateStore shared = sharedStateStore();
        this.store = shared;
        TestCluster.Builder builder = TestCluster.builder().silos(3).runtime((siloId, runtime) -> {
            KillableStateStore siloStore = new KillableStateStore(shared, siloId);
            this.siloStores.put(siloId, siloStore);
            runtime.actor(LedgerActor.class)
                .activationHook(this.activations.hookOf(siloId))
                .activationHook(new StateActivationHook(StateStoreRegistry.of(siloStore), new JsonStateSerializer()));
        });
        configure(builder);
        settings.accept(builder);
        return builder.build();
    }

    private void join(LedgerCallers callers) {
        this.cluster.addSilo();
        callers.enterThrough(this.cluster.runningSilos());
        callers.awaitMoreCalls(this.load.callsPerRound(), TIMEOUT);
    }

    private void leave(LedgerCallers callers, int index) {
        callers.retire(this.cluster.silo(index), TIMEOUT);
        this.cluster.stopSilo(index);
        callers.awaitMoreCalls(this.load.callsPerRound(), TIMEOUT);
    }

    /**
     * Stops a silo gracefully while the callers keep entering through it, and for a round of calls after it stopped
     * (as clients that learn late that a node went away), then drains it.
     */
    private void leaveWhileCalledThrough(LedgerCallers callers, int index) {
        TestSilo silo = this.cluster.silo(index);
        this.cluster.stopSilo(index);
        callers.awaitMoreCalls(this.load.callsPerRound(), TIMEOUT);
        callers.retire(silo, TIMEOUT);
        callers.awaitMoreCalls(this.load.callsPerRound(), TIMEOUT);
    }

    /**
     * Starts a killed or stopped silo again with its old id (a new epoch), as a process restarted with the same
     * {@code quark.cluster.silo.id}, and lets the callers enter through it.
     */
    private void restart(LedgerCallers callers, int index) {
        // Revived before it starts: the new incarnation may activate ledgers for its peers' callers as soon as it
        // joins, before restartSilo returns. The killed incarnation's runtime refuses activations already (kill()).
        this.activations.revived(this.cluster.silo(index).siloId());
        this.cluster.restartSilo(index);
        callers.enterThrough(this.cluster.runningSilos());
        callers.awaitMoreCalls(this.load.callsPerRound(), TIMEOUT);
    }

    /**
     * A silo's pause.
     * @param store the silo's access to the state store, holding its saves
     * @param activatedBeforeItStoppedServing the activations on the silo between the pause and the moment it stopped
     * serving by itself (its pause limit): a call delivered just before the network cut may still activate a ledger
     * then, which a frozen process would do only once it resumed
     */
    private record Pause(KillableStateStore store, List<String> activatedBeforeItStoppedServing) {
    }

    /**
     * Pauses a silo its callers no longer enter through (they pause with it) once its saves are held, and waits
     * until its peers voted it dead and the callers made a round of calls without it.
     */
    private Pause pause(LedgerCallers callers, int index) {
        TestSilo silo = this.cluster.silo(index);
        KillableStateStore store = Objects.requireNonNull(this.siloStores.get(silo.siloId()));
        callers.retire(silo, TIMEOUT);
        store.pause();
        // Its peers' calls keep its turns busy: the pause catches some of them between their update and its save.
        LedgerCallers.awaitAtMost(TIMEOUT).until(() -> store.heldSaves() > 0);
        long epoch = silo.epoch();
        this.cluster.pauseSilo(index);
        this.activations.paused(silo.siloId(), epoch, silo::epoch);
        LedgerCallers.awaitAtMost(TIMEOUT).until(() -> !silo.views().isServing());
        List<String> beforeItStopped = List.copyOf(this.activations.duplicates());
        LedgerCallers.awaitAtMost(TIMEOUT)
            .until(() -> this.cluster.membership().read().silo(silo.siloId()).orElseThrow().status() == SiloStatus.DEAD);
        callers.awaitMoreCalls(this.load.callsPerRound(), TIMEOUT);
        return new Pause(store, beforeItStopped);
    }

    /**
     * Ends a silo's pause, its held saves first, and waits until it rejoined with a new epoch; then the callers enter
     * through it again.
     */
    private void resume(LedgerCallers callers, int index, KillableStateStore store) {
        TestSilo silo = this.cluster.silo(index);
        long epoch = silo.epoch();
        store.resume();
        this.cluster.resumeSilo(index);
        PausableTransport transport = silo.pausableTransport();
        if (transport != null) {
            // Silence rather than refusals: its peers' probes, at least, waited for the resume.
            assertThat(transport.receivedLate()).as("envelopes handed over late").isPositive();
            System.out.printf("%s, pause: %d envelopes received and %d sent late%n", getClass().getSimpleName(),
                    transport.receivedLate(), transport.sentLate());
        }
        LedgerCallers.awaitAtMost(TIMEOUT).until(() -> silo.epoch() > epoch && this.cluster.membership()
            .read()
            .silo(silo.siloId())
            .filter((entry) -> entry.epoch() == silo.epoch() && entry.status() == SiloStatus.ACTIVE)
            .isPresent());
        callers.enterThrough(this.cluster.runningSilos());
        callers.awaitMoreCalls(this.load.callsPerRound(), TIMEOUT);
    }

    /** Kills a silo its callers no longer enter through; its peers' calls to its actors find it gone. */
    private void kill(LedgerCallers callers, int index) {
        TestSilo silo = this.cluster.silo(index);
        callers.retire(silo, TIMEOUT);
        this.cluster.killSilo(index);
        Objects.requireNonNull(this.siloStores.get(silo.siloId())).kill();
        // The kill closes the runtime on a thread of its own: until it refuses new activations, a call already on its
        // way in may still activate a ledger there, which a process's end would have prevented. Only from then on is
        // an activation on the killed silo one that should not be.
        LedgerCallers.awaitAtMost(TIMEOUT).until(() -> !silo.runtime().isRunning());
        this.activations.killed(silo.siloId());
        LedgerCallers.awaitAtMost(TIMEOUT)
            .until(() -> this.cluster.membership().read().silo(silo.siloId()).orElseThrow().status() == SiloStatus.DEAD);
        callers.awaitMoreCalls(this.load.callsPerRound(), TIMEOUT);
    }

    private long persistedTotal(String id) {
        return Objects.requireNonNull(this.store, "no cluster yet").load(new StateKey("Ledger", id, "total"))
            .map(StoredState::payload)
            .map(Long::parseLong)
            .orElse(0L);
    }

    void report(String what, LedgerCallers callers) {
        long moves = this.ids.stream().mapToLong((id) -> this.activations.activations("Ledger/" + id) - 1L).sum();
        System.out.printf("%s, %s: %d calls, %d failed (%s), %d ledger moves%n", getClass().getSimpleName(), what,
                callers.calls(), callers.failures().size(), summary(callers.failures()), moves);
    }

    private static String summary(List<Throwable> failures) {
        Map<String, List<Throwable>> byType = failures.stream()
            .collect(Collectors.groupingBy((failure) -> failure.getClass().getSimpleName()));
        return byType.entrySet()
            .stream()
            .map((entry) -> entry.getValue().size() + " " + entry.getKey() + " (e.g. "
                    + entry.getValue().getFirst().getMessage() + ")")
            .collect(Collectors.joining(", "));
    }
}
