package dev.quark.testkit.cluster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import dev.quark.actor.DeactivationReason;
import dev.quark.cluster.SiloNotServingException;
import dev.quark.cluster.SiloUnavailableException;
import dev.quark.cluster.directory.DirectoryRequest;
import dev.quark.cluster.membership.ClusterView;
import dev.quark.cluster.membership.MembershipSnapshot;
import dev.quark.cluster.membership.SiloAddress;
import dev.quark.cluster.membership.SiloEntry;
import dev.quark.cluster.membership.SiloStatus;
import dev.quark.cluster.placement.HashPlacementDirector;
import dev.quark.cluster.ring.HashRing;
import dev.quark.cluster.ring.RingHash;
import dev.quark.cluster.transport.Envelope;
import dev.quark.cluster.transport.ForwardingTransport;
import dev.quark.cluster.transport.SiloUnreachableException;
import dev.quark.cluster.transport.Transport;
import dev.quark.cluster.transport.injvm.InJvmNetwork;
import dev.quark.runtime.ActorAddress;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * Silos joining and leaving while callers keep calling: only the actors of the ranges that change hands move,
 * each is handed over with what it saved, no actor is ever active on two silos at once, and no call fails.
 */
class ClusterMembershipChangeTests {

    private static final Executor VIRTUAL_THREADS = (task) -> Thread.ofVirtual().start(task);

    private final TallyEnvironment environment = new TallyEnvironment();

    private TallyCluster cluster;

    private final List<String> ids = IntStream.range(0, 200).mapToObj((i) -> "tally-" + i).toList();

    private final InJvmNetwork network = new InJvmNetwork();

    @AfterEach
    void close() {
        if (this.cluster != null) {
            this.cluster.close();
        }
        this.network.close();
    }

    @Test
    void joiningSiloTakesOverOnlyTheRangesItGainsWhileCallersKeepCalling() throws Exception {
        this.cluster = new TallyCluster(this.environment, 3);
        Map<String, String> before = owners();
        this.ids.forEach((id) -> this.cluster.silo(0).get(Tally.class, id).total());
        Callers callers = new Callers(8, this.ids, () -> this.cluster.cluster().runningSilos());
        await().atMost(TallyEnvironment.timeout()).until(() -> callers.calls() > 500);
        this.cluster.addSilo();
        int joinedAt = callers.calls();
        await().atMost(TallyEnvironment.timeout()).until(() -> callers.calls() > joinedAt + 2_000);
        callers.close();

        assertThat(callers.failures()).isEmpty();
        assertThat(this.environment.duplicates()).isEmpty();
        Map<String, String> after = owners();
        List<String> moved = this.ids.stream().filter((id) -> !before.get(id).equals(after.get(id))).toList();
        assertThat(moved).allSatisfy((id) -> assertThat(after.get(id)).isEqualTo("silo-3"));
        assertThat(moved.size()).as("moved of %d", this.ids.size())
            .isBetween(this.ids.size() / 10, this.ids.size() / 2);
        for (String id : this.ids) {
            assertThat(this.cluster.silo(1).get(Tally.class, id).total()).as(id).isEqualTo(callers.added(id));
            assertThat(this.environment.activations(id)).as(id + ": " + this.environment.log())
                .isEqualTo(moved.contains(id) ? 2 : 1);
        }
    }

    @Test
    void leavingSiloHandsItsActorsOverWithTheirStateAndNoFailedCall() throws Exception {
        this.cluster = new TallyCluster(this.environment, 3);
        this.ids.forEach((id) -> this.cluster.silo(0).get(Tally.class, id).add(1));
        List<TestSilo> entryPoints = List.of(this.cluster.silo(0), this.cluster.silo(2));
        Callers callers = new Callers(8, this.ids, () -> entryPoints);
        await().atMost(TallyEnvironment.timeout()).until(() -> callers.calls() > 500);
        this.cluster.cluster().stopSilo(1);
        int stoppedAt = callers.calls();
        await().atMost(TallyEnvironment.timeout()).until(() -> callers.calls() > stoppedAt + 2_000);
        callers.close();

        assertThat(callers.failures()).isEmpty();
        assertThat(this.environment.duplicates()).isEmpty();
        assertThat(this.cluster.cluster().membership().read().silo("silo-1").orElseThrow().status())
            .isEqualTo(SiloStatus.DEAD);
        assertThat(this.cluster.silo(1).runtime().activationCount()).isZero();
        for (String id : this.ids) {
            assertThat(this.cluster.silo(0).get(Tally.class, id).total()).as(id).isEqualTo(1 + callers.added(id));
        }
    }

    /**
     * The stale silo's call goes to the old owner with its old view, which passes it on. The new owner's hand-off
     * may make the stale silo read membership (it passes the question on to the owners of its earlier views), so
     * the view the call was sent with is read from the call itself.
     */
    @Test
    void callSentWithAnOldViewIsPassedOnToTheNewOwner() {
        List<Envelope> sentByStale = new CopyOnWriteArrayList<>();
        this.cluster = new TallyCluster(this.environment, TallyCluster.builder(this.environment, 3, (runtime) -> {
        }).transport((siloId) -> "silo-0".equals(siloId)
                ? new RecordingTransport(this.network.transport(), sentByStale) : this.network.transport()));
        TestSilo stale = this.cluster.silo(0);
        stale.holdViews();
        this.cluster.addSilo();
        String id = TallyCluster.idWhere((candidate) -> this.cluster.ownerOf(candidate, stale).equals("silo-1")
                && this.cluster.ownerOf(candidate, this.cluster.silo(1)).equals("silo-3"));
        long staleVersion = stale.routing().view().version();

        assertThat(stale.get(Tally.class, id).where()).isEqualTo("silo-3");

        assertThat(this.environment.activations(id)).isEqualTo(1);
        Envelope call = sentByStale.stream()
            .filter((sent) -> sent.kind() == Envelope.Kind.REQUEST && id.equals(sent.actorId()))
            .findFirst()
            .orElseThrow();
        assertThat(call.targetSiloId()).as("the owner in the stale view").isEqualTo("silo-1");
        assertThat(call.membershipVersion()).as("the view the call was sent with").isEqualTo(staleVersion)
            .isLessThan(this.cluster.silo(1).routing().view().version());
        stale.releaseViews();
    }

    @Test
    void callSentWithAnOldViewToASiloThatHasLeftIsRoutedAgainAndRunsOnce() {
        this.cluster = new TallyCluster(this.environment, 3);
        TestSilo stale = this.cluster.silo(0);
        TestSilo leaving = this.cluster.silo(1);
        String id = this.cluster.idOwnedBy("silo-1");
        Tally tally = stale.get(Tally.class, id);
        assertThat(tally.add(5)).isEqualTo(5);
        stale.holdViews();
        leaveKeepingTheRoutingOpen(leaving);
        assertThat(leaving.views().isServing()).isFalse();
        assertThat(this.cluster.ownerOf(id, stale)).as("the stale view's owner").isEqualTo("silo-1");

        assertThat(tally.add(1)).isEqualTo(6);
        assertThat(stale.routing().view().version()).as("read up to the leaver's version")
            .isEqualTo(this.cluster.silo(2).routing().view().version());
        assertThat(this.environment.activations(id)).isEqualTo(2);
        assertThat(this.environment.duplicates()).isEmpty();
        assertThat(this.cluster.silo(2).get(Tally.class, id).total()).isEqualTo(6);
    }

    @Test
    void leavingSiloRefusesACallThatArrivesAfterItsHandOverAndTheCallerRoutesItToTheNewOwner() throws Exception {
        this.cluster = new TallyCluster(this.environment, 3);
        TestSilo stale = this.cluster.silo(0);
        TestSilo leaving = this.cluster.silo(1);
        String id = this.cluster.idOwnedBy("silo-1");
        Tally tally = stale.get(Tally.class, id);
        assertThat(tally.add(5)).isEqualTo(5);
        stale.holdViews();
        CompletableFuture<Void> handedOver = new CompletableFuture<>();
        CompletableFuture<Void> left = CompletableFuture.runAsync(() -> leaving.membership()
            .leave(() -> leaving.runtime()
                .deactivateWhere((address) -> true, DeactivationReason.HANDOFF)
                .thenRunAsync(() -> leaving.routing().awaitIdle(TallyEnvironment.timeout()), VIRTUAL_THREADS)
                .thenCompose((idle) -> handedOver), TallyEnvironment.timeout()), VIRTUAL_THREADS);
        await().atMost(TallyEnvironment.timeout())
            .until(() -> statusOf(leaving) == SiloStatus.SHUTTING_DOWN && this.environment.alive(id) == 0);

        CompletableFuture<String> held = CompletableFuture.supplyAsync(() -> tally.hold("slow"), VIRTUAL_THREADS);
        await().atMost(TallyEnvironment.timeout()).until(() -> this.environment.reached("slow"));
        handedOver.complete(null);
        assertThat(left).succeedsWithin(TallyEnvironment.timeout());
        leaving.routing().close();
        this.environment.open("slow");

        assertThat(held).succeedsWithin(TallyEnvironment.timeout()).isNotEqualTo("silo-1");
        assertThat(tally.total()).isEqualTo(5);
        assertThat(this.environment.duplicates()).isEmpty();
    }

    @Test
    void oneWayCallSentWithAnOldViewToASiloThatHasLeftIsPassedOnToTheOwner() {
        this.cluster = new TallyCluster(this.environment, 3);
        TestSilo stale = this.cluster.silo(0);
        TestSilo leaving = this.cluster.silo(1);
        String id = this.cluster.idOwnedBy("silo-1");
        assertThat(stale.get(Tally.class, id).add(5)).isEqualTo(5);
        stale.holdViews();
        leaveKeepingTheRoutingOpen(leaving);

        stale.get(Tally.class, id).addOneWay(2);
        Tally fresh = this.cluster.silo(2).get(Tally.class, id);
        await().atMost(TallyEnvironment.timeout()).until(() -> fresh.total() == 7);
        assertThat(this.environment.duplicates()).isEmpty();
        stale.releaseViews();
    }

    @Test
    void callRefusedByASiloThatIsNotServingInTheSameViewFailsNamingItAndRunsNowhere() {
        this.cluster = new TallyCluster(this.environment, 2);
        TestSilo fenced = this.cluster.silo(1);
        String id = this.cluster.idOwnedBy("silo-1");
        Tally tally = this.cluster.silo(0).get(Tally.class, id);
        fenced.membership().halt();
        assertThat(fenced.views().isServing()).isFalse();

        assertThatExceptionOfType(SiloNotServingException.class).isThrownBy(() -> tally.add(1))
            .withMessageContaining("Silo silo-1 is not serving")
            .withMessageContaining("Tally/" + id)
            .withMessageContaining("without running it");
        assertThat(this.environment.activations(id)).isZero();
    }

    @Test
    void aReferenceThatKeptItsOwnSiloAsOwnerRunsNothingThereOnceThatSiloStopsServing() {
        this.cluster = new TallyCluster(this.environment, 2);
        TestSilo fenced = this.cluster.silo(1);
        String id = this.cluster.idOwnedBy("silo-1");
        Tally tally = fenced.get(Tally.class, id);
        tally.add(1);
        tally.add(1);
        fenced.membership().halt();
        assertThat(fenced.views().isServing()).isFalse();

        assertThatExceptionOfType(SiloNotServingException.class).isThrownBy(() -> tally.add(1))
            .withMessageContaining("Silo silo-1 owns Tally/" + id + " but is not serving");
    }

    @Test
    void leavingSiloStillRunsCallsForADirectoryPlacedActivationItHostsCallbacksIntoItsTurnIncluded() {
        this.cluster = homebodyCluster(FailingDirectoryRemovals.none());
        TestSilo leaving = this.cluster.silo(1);
        TestSilo other = this.cluster.silo(0);
        String tallyId = this.cluster.idOwnedBy("silo-0");
        assertThat(leaving.get(Homebody.class, "stayer").where()).isEqualTo("silo-1");
        CompletableFuture<String> held = CompletableFuture
            .supplyAsync(() -> leaving.get(Homebody.class, "stayer").holdThenAskBack("stay", tallyId), VIRTUAL_THREADS);
        await().atMost(TallyEnvironment.timeout()).until(() -> this.environment.reached("stay"));
        CompletableFuture<Void> left = CompletableFuture.runAsync(() -> leaving.membership()
            .leave(() -> leaving.runtime()
                .deactivateWhere((address) -> true, DeactivationReason.HANDOFF)
                .thenRunAsync(() -> leaving.routing().awaitIdle(TallyEnvironment.timeout()), VIRTUAL_THREADS),
                    TallyEnvironment.timeout()), VIRTUAL_THREADS);
        await().atMost(TallyEnvironment.timeout()).until(() -> statusOf(leaving) == SiloStatus.SHUTTING_DOWN);

        CompletableFuture<String> fromOther = CompletableFuture
            .supplyAsync(() -> other.get(Homebody.class, "stayer").add(1) + "@" + other.get(Homebody.class, "stayer")
                .where(), VIRTUAL_THREADS);
        this.environment.open("stay");

        assertThat(held).as("the callback into the turn ran on its activation")
            .succeedsWithin(TallyEnvironment.timeout())
            .isEqualTo("silo-1");
        assertThat(fromOther).succeedsWithin(TallyEnvironment.timeout()).asString().startsWith("1@");
        assertThat(left).succeedsWithin(TallyEnvironment.timeout());
        assertThat(this.environment.duplicates()).isEmpty();
    }

    /**
     * A call queued behind a held turn of a directory-placed activation that the leave's hand-over deactivates:
     * the leaver must not start a second activation for it (outside its hand-over, alive until it closes, and no
     * longer counted by the directory once the leaver is {@code DEAD}), but send it to an active silo.
     */
    @Test
    void leavingSiloSendsTheCallsQueuedForADirectoryPlacedActivationItHandsOverToAnotherSilo() {
        this.cluster = homebodyCluster(FailingDirectoryRemovals.none());
        assertQueuedCallGoesToAnActiveSilo();
    }

    /**
     * As above, but the leaver's removal of the ended activation's entry fails ({@code UNREGISTER} not handed over):
     * the entry still names the leaver, alive while it is {@code SHUTTING_DOWN}, so the silo the queued call goes to
     * would find it and send the call back, to be refused there again and again. The leaver removes the entry
     * ({@code REMOVE_STALE}) before it sends the call on.
     */
    @Test
    void leavingSiloWhoseRemovalOfTheHandedOverEntryFailedRemovesItBeforeTheQueuedCallGoesElsewhere() {
        FailingDirectoryRemovals removals = FailingDirectoryRemovals.unregisters();
        this.cluster = homebodyCluster(removals);
        assertQueuedCallGoesToAnActiveSilo();
        assertThat(removals.failed()).as("the UNREGISTER was not handed over").isPositive();
        assertThat(removals.refused()).as("the call did not come back to the leaver").isZero();
    }

    /**
     * As above, and the leaver's {@code REMOVE_STALE} before it sends the call on fails too: the silo the queued call goes to finds the
     * entry naming the leaver and sends the call there; the leaver, which neither hosts the actor nor removes its
     * entry any more, removes the entry again before it refuses the call, so that the silo's next route does not
     * find it.
     */
    @Test
    void leavingSiloRemovesTheStaleEntryNamingItBeforeItRefusesACallForADirectoryPlacedActorItNoLongerHosts() {
        FailingDirectoryRemovals removals = FailingDirectoryRemovals.unregistersAndStaleRemovalsBeforeTheCallGoesOn();
        this.cluster = homebodyCluster(removals);
        assertQueuedCallGoesToAnActiveSilo();
        assertThat(removals.failed()).as("the UNREGISTER and the first REMOVE_STALE were not handed over")
            .isGreaterThan(4);
        assertThat(removals.refused()).as("the call came back to the leaver").isPositive();
    }

    /**
     * A silo leaves that owns the directory partition of an actor living on another silo, and a first call from a
     * third silo (which would activate the actor where it is called) reaches the partition's new owner before the
     * leaver's hand-over of the entry ({@code ADOPT}) and the host's registration again ({@code REGISTER_AGAIN}),
     * both held on their way: the new owner asks the leaver for the entry it held, and the call runs on the one
     * activation rather than on a second one beside it.
     */
    @Test
    void aFirstCallThatReachesTheNewPartitionOwnerBeforeTheLeaversHandOverRunsOnTheOneActivation() {
        HeldDirectoryWrites held = new HeldDirectoryWrites();
        this.cluster = new TallyCluster(this.environment, TestCluster.builder().silos(3)
            .runtime((siloId, runtime) -> runtime.actor(HomebodyActor.class,
                    () -> new HomebodyActor(this.environment, siloId)))
            .transport((siloId) -> "silo-0".equals(siloId) ? this.network.transport()
                    : held.wrap(this.network.transport())));
        TestSilo caller = this.cluster.silo(0);
        TestSilo leaving = this.cluster.silo(1);
        TestSilo host = this.cluster.silo(2);
        int vnodes = caller.routing().view().ring().virtualNodes();
        HashRing all = HashRing.of(List.of("silo-0", "silo-1", "silo-2"), vnodes);
        HashRing withoutTheLeaver = HashRing.of(List.of("silo-0", "silo-2"), vnodes);
        String id = TallyCluster.idWhere((candidate) -> {
            long hash = RingHash.of(new ActorAddress("Homebody", candidate));
            return "silo-1".equals(all.ownerOf(hash)) && "silo-0".equals(withoutTheLeaver.ownerOf(hash));
        });
        held.actorId(id);
        assertThat(host.get(Homebody.class, id).add(1)).isEqualTo(1);
        assertThat(leaving.routing().directoryEntries()).as("the entry in the leaver's partition").isEqualTo(1);
        CompletableFuture<Void> handOver = new CompletableFuture<>();
        CompletableFuture<Void> left = CompletableFuture.runAsync(() -> leaving.membership()
            .leave(() -> handOver, TallyEnvironment.timeout()), VIRTUAL_THREADS);
        for (TestSilo silo : List.of(caller, leaving, host)) {
            await().atMost(TallyEnvironment.timeout()).until(() -> silo.routing().view().membership().silos()
                .get("silo-1").status() == SiloStatus.SHUTTING_DOWN);
        }
        await().atMost(TallyEnvironment.timeout()).until(() -> held.operations()
            .containsAll(List.of(DirectoryRequest.Operation.ADOPT, DirectoryRequest.Operation.REGISTER_AGAIN)));

        CompletableFuture<String> call = CompletableFuture.supplyAsync(() -> caller.get(Homebody.class, id).add(1)
                + "@" + caller.get(Homebody.class, id).where(), VIRTUAL_THREADS);

        assertThat(call).succeedsWithin(TallyEnvironment.timeout());
        assertThat(this.environment.duplicates()).as("activations alive at once").isEmpty();
        assertThat(call.join()).as("the call's count and where it ran").isEqualTo("2@silo-2");
        held.release();
        handOver.complete(null);
        assertThat(left).succeedsWithin(TallyEnvironment.timeout());
        assertThat(caller.get(Homebody.class, id).add(1)).isEqualTo(3);
        assertThat(this.environment.duplicates()).isEmpty();
        assertThat(this.environment.activations("Homebody:" + id)).isEqualTo(1);
    }

    /** A cluster of three silos hosting tallies and homebodies; silo-1's transport goes through the removals. */
    private TallyCluster homebodyCluster(FailingDirectoryRemovals removals) {
        return new TallyCluster(this.environment, TestCluster.builder().silos(3).runtime((siloId, runtime) -> {
            runtime.actor(TallyActor.class, () -> new TallyActor(this.environment, siloId));
            runtime.actor(HomebodyActor.class, () -> new HomebodyActor(this.environment, siloId));
        }).transport((siloId) -> "silo-1".equals(siloId) ? removals.wrap(this.network.transport())
                : this.network.transport()));
    }

    /**
     * Holds a turn of the stayer on silo-1, lets silo-1 leave, queues a call behind the held turn once the
     * hand-over has asked for the deactivation (so that the turn's end deactivates it, and the call does not run on
     * the old activation), then lets the turn end: the queued call and a later one run on one
     * new activation on an active silo.
     */
    private void assertQueuedCallGoesToAnActiveSilo() {
        TestSilo leaving = this.cluster.silo(1);
        TestSilo other = this.cluster.silo(0);
        String tallyId = this.cluster.idOwnedBy("silo-0");
        assertThat(leaving.get(Homebody.class, "stayer").where()).isEqualTo("silo-1");
        CompletableFuture<String> held = CompletableFuture
            .supplyAsync(() -> leaving.get(Homebody.class, "stayer").holdThenAskBack("stay", tallyId), VIRTUAL_THREADS);
        await().atMost(TallyEnvironment.timeout()).until(() -> this.environment.reached("stay"));
        CompletableFuture<Void> deactivationAsked = new CompletableFuture<>();
        CompletableFuture<Void> left = CompletableFuture.runAsync(() -> leaving.membership().leave(() -> {
            CompletableFuture<Integer> deactivated = leaving.runtime()
                .deactivateWhere((address) -> true, DeactivationReason.HANDOFF);
            deactivationAsked.complete(null);
            return deactivated.thenRunAsync(() -> leaving.routing().awaitIdle(TallyEnvironment.timeout()),
                    VIRTUAL_THREADS);
        }, TallyEnvironment.timeout()), VIRTUAL_THREADS);
        assertThat(deactivationAsked).succeedsWithin(TallyEnvironment.timeout());
        CompletableFuture<Long> queued = CompletableFuture
            .supplyAsync(() -> other.get(Homebody.class, "stayer").add(1), VIRTUAL_THREADS);
        await().atMost(TallyEnvironment.timeout())
            .until(() -> leaving.runtime().queuedMessages(Homebody.class, "stayer") == 1);
        this.environment.open("stay");

        assertThat(held).succeedsWithin(TallyEnvironment.timeout()).isEqualTo("silo-1");
        assertThat(queued).succeedsWithin(TallyEnvironment.timeout()).isEqualTo(1L);
        assertThat(left).succeedsWithin(TallyEnvironment.timeout());
        assertThat(other.get(Homebody.class, "stayer").add(1)).isEqualTo(2L);
        assertThat(this.environment.duplicates()).isEmpty();
        List<String> stayer = this.environment.log()
            .stream()
            .filter((line) -> line.contains("Homebody:stayer"))
            .toList();
        assertThat(stayer).as("the queued call activated the actor on an active silo, not again on the leaver")
            .hasSize(3)
            .startsWith("activate Homebody:stayer on silo-1", "deactivate Homebody:stayer on silo-1 (HANDOFF)");
        assertThat(stayer.get(2)).isIn("activate Homebody:stayer on silo-0", "activate Homebody:stayer on silo-2");
    }

    private static SiloStatus statusOf(TestSilo silo) {
        return silo.routing().view().membership().silos().get(silo.siloId()).status();
    }

    /**
     * A call back into a turn of a hash-placed actor on a leaving silo ({@code A -> B -> A}, {@code B} calling back
     * once the leave began): the leave's hand-over of {@code A} waits for the turn, the turn for {@code B}, and
     * {@code B} for the call back, which its silo routes to {@code A}'s new owner (the caller's own silo, or a third
     * one); the new owner must send it to the leaver rather than wait for a hand-over that waits for it.
     */
    @ParameterizedTest(name = "the new owner is silo-{0}")
    @ValueSource(ints = { 0, 2 })
    void aCallBackIntoATurnOnALeavingSiloRunsThereAndTheLeaveCompletes(int newOwner) {
        ChainHeldByALeaver leave = startChainThenLeave(newOwner);

        this.environment.open("back");

        leave.assertCallBackRanOnTheLeaver();
        assertThat(leave.left()).succeedsWithin(TallyEnvironment.timeout());
        assertThat(this.cluster.silo(0).get(Tally.class, leave.held()).where()).isEqualTo("silo-" + newOwner);
        assertThat(this.environment.duplicates()).isEmpty();
    }

    /**
     * As above, with another call for the actor reaching its new owner first: that call's activation waits for the
     * leaver's hand-over, and the call back, queued behind it, must not wait there (the runtime asks the activation
     * gate where its chain goes, and the gate asks the leaver); the other call runs once the hand-over is done.
     */
    @ParameterizedTest(name = "the new owner is silo-{0}")
    @ValueSource(ints = { 0, 2 })
    void aCallBackQueuedBehindAnotherCallAtTheNewOwnerRunsOnTheLeaverAndTheOtherCallRunsOnceHandedOver(
            int newOwner) {
        ChainHeldByALeaver leave = startChainThenLeave(newOwner);
        CompletableFuture<Long> added = CompletableFuture.supplyAsync(
                () -> this.cluster.silo(2).get(Tally.class, leave.held()).add(1), VIRTUAL_THREADS);
        TestSilo owner = this.cluster.silo(newOwner);
        await().atMost(TallyEnvironment.timeout())
            .until(() -> owner.runtime().holdsActivation(new ActorAddress("Tally", leave.held())));

        this.environment.open("back");

        leave.assertCallBackRanOnTheLeaver();
        assertThat(added).as("the other call, run once on the new owner").succeedsWithin(TallyEnvironment.timeout())
            .isEqualTo(1L);
        assertThat(leave.left()).succeedsWithin(TallyEnvironment.timeout());
        assertThat(this.cluster.silo(0).get(Tally.class, leave.held()).total()).isEqualTo(1L);
        assertThat(this.environment.duplicates()).isEmpty();
    }

    /**
     * As above, for a silo that joins and takes over the actor whose turn waits for the call back: the old owner is
     * not leaving, its view gives the actor to the new silo, and it must still run the call back that the new
     * silo sends it, instead of passing it on to the new owner again.
     */
    @Test
    void aCallBackIntoATurnOfAnActorThatAJoiningSiloTakesOverRunsOnTheOldOwner() {
        this.cluster = new TallyCluster(this.environment, 2);
        int vnodes = this.cluster.silo(0).routing().view().ring().virtualNodes();
        HashRing before = HashRing.of(List.of("silo-0", "silo-1"), vnodes);
        HashRing after = HashRing.of(List.of("silo-0", "silo-1", "silo-2"), vnodes);
        String held = TallyCluster.idWhere((id) -> "silo-1".equals(before.ownerOf(tallyHash(id)))
                && "silo-2".equals(after.ownerOf(tallyHash(id))));
        String other = TallyCluster.idWhere((id) -> "silo-0".equals(before.ownerOf(tallyHash(id)))
                && "silo-0".equals(after.ownerOf(tallyHash(id))));
        CompletableFuture<String> chain = CompletableFuture.supplyAsync(
                () -> this.cluster.silo(0).get(Tally.class, held).callThroughAfter(other, "back"), VIRTUAL_THREADS);
        await().atMost(TallyEnvironment.timeout()).until(() -> this.environment.reached("back"));
        TestSilo joined = this.cluster.addSilo();
        await().atMost(TallyEnvironment.timeout()).until(() -> statusOf(this.cluster.silo(0), joined) == SiloStatus.ACTIVE
                && statusOf(this.cluster.silo(1), joined) == SiloStatus.ACTIVE);

        this.environment.open("back");

        assertThat(chain).as("the call back ran on the turn's activation, on the old owner")
            .succeedsWithin(TallyEnvironment.timeout())
            .isEqualTo(held + "@silo-1 -> " + other + "@silo-0 -> " + held + "@silo-1");
        await().atMost(TallyEnvironment.timeout())
            .until(() -> "silo-2".equals(this.cluster.silo(0).get(Tally.class, held).where()));
        assertThat(this.environment.duplicates()).isEmpty();
    }

    /**
     * Starts {@code held@silo-1 -> other@silo-0}, {@code other} waiting at the gate {@code back} before it calls
     * {@code held} back, in a cluster of three silos; then lets silo-1 leave, and returns once every other silo sees it
     * leaving. {@code held} goes to {@code silo-<newOwner>}, {@code other} stays on silo-0.
     */
    private ChainHeldByALeaver startChainThenLeave(int newOwner) {
        this.cluster = new TallyCluster(this.environment, 3);
        int vnodes = this.cluster.silo(0).routing().view().ring().virtualNodes();
        HashRing all = HashRing.of(List.of("silo-0", "silo-1", "silo-2"), vnodes);
        HashRing withoutTheLeaver = HashRing.of(List.of("silo-0", "silo-2"), vnodes);
        String held = TallyCluster.idWhere((id) -> "silo-1".equals(all.ownerOf(tallyHash(id)))
                && ("silo-" + newOwner).equals(withoutTheLeaver.ownerOf(tallyHash(id))));
        String other = TallyCluster.idWhere((id) -> "silo-0".equals(all.ownerOf(tallyHash(id)))
                && "silo-0".equals(withoutTheLeaver.ownerOf(tallyHash(id))));
        CompletableFuture<String> chain = CompletableFuture.supplyAsync(
                () -> this.cluster.silo(2).get(Tally.class, held).callThroughAfter(other, "back"), VIRTUAL_THREADS);
        await().atMost(TallyEnvironment.timeout()).until(() -> this.environment.reached("back"));
        TestSilo leaving = this.cluster.silo(1);
        CompletableFuture<Void> left = CompletableFuture.runAsync(() -> this.cluster.cluster().stopSilo(1),
                VIRTUAL_THREADS);
        await().atMost(TallyEnvironment.timeout())
            .until(() -> statusOf(this.cluster.silo(0), leaving) == SiloStatus.SHUTTING_DOWN
                    && statusOf(this.cluster.silo(2), leaving) == SiloStatus.SHUTTING_DOWN);
        return new ChainHeldByALeaver(held, other, chain, left);
    }

    /** A chain whose turn of {@code held} waits on a leaving silo-1 for {@code other}, which waits at a gate. */
    private record ChainHeldByALeaver(String held, String other, CompletableFuture<String> chain,
            CompletableFuture<Void> left) {

        void assertCallBackRanOnTheLeaver() {
            assertThat(this.chain).as("the call back ran on the turn's activation, on the leaver")
                .succeedsWithin(TallyEnvironment.timeout())
                .isEqualTo(this.held + "@silo-1 -> " + this.other + "@silo-0 -> " + this.held + "@silo-1");
        }
    }

    private static long tallyHash(String id) {
        return RingHash.of(new ActorAddress("Tally", id));
    }

    private static @Nullable SiloStatus statusOf(TestSilo viewer, TestSilo silo) {
        SiloEntry entry = viewer.routing().view().membership().silos().get(silo.siloId());
        return (entry != null) ? entry.status() : null;
    }

    /** A silo's graceful leave up to DEAD, with its routing still open: the window before its process ends. */
    private static void leaveKeepingTheRoutingOpen(TestSilo leaving) {
        leaving.membership()
            .leave(() -> leaving.runtime().deactivateWhere((address) -> true, DeactivationReason.HANDOFF),
                    TallyEnvironment.timeout());
    }

    @Test
    void siloDeclaredDeadWhileRunningStopsServingAndDropsItsActivations() {
        this.cluster = new TallyCluster(this.environment, 2);
        String id = this.cluster.idOwnedBy("silo-1");
        assertThat(this.cluster.silo(0).get(Tally.class, id).add(5)).isEqualTo(5);
        this.cluster.cluster().declareDead(1);
        await().atMost(TallyEnvironment.timeout()).until(() -> this.cluster.silo(1).runtime().activationCount() == 0);
        assertThat(this.cluster.silo(1).views().isServing()).isFalse();
        assertThat(this.cluster.silo(1).get(Tally.class, id).add(1)).as("routed to silo-0 from the zombie")
            .isEqualTo(6);
        assertThat(this.environment.duplicates()).isEmpty();
    }

    @Test
    void newOwnerActivatesAnActorOnlyOnceItsPreviousOwnerHasDeactivatedIt() {
        this.cluster = new TallyCluster(this.environment, 3);
        String id = TallyCluster.idWhere((candidate) -> this.cluster.ownerOf(candidate).equals("silo-1")
                && ownerOnceJoined(candidate, "silo-3").equals("silo-3"));
        Tally tally = this.cluster.silo(0).get(Tally.class, id);
        tally.add(5);
        CompletableFuture<String> held = CompletableFuture.supplyAsync(() -> tally.hold("slow"));
        await().atMost(TallyEnvironment.timeout()).until(() -> this.environment.reached("slow"));
        this.cluster.addSilo();
        CompletableFuture<Long> next = CompletableFuture.supplyAsync(() -> tally.add(1));
        await().during(Duration.ofMillis(300))
            .atMost(TallyEnvironment.timeout())
            .until(() -> !next.isDone() && this.environment.activations(id) == 1);
        this.environment.open("slow");
        assertThat(held).succeedsWithin(TallyEnvironment.timeout()).isEqualTo("silo-1");
        assertThat(next).succeedsWithin(TallyEnvironment.timeout()).isEqualTo(6L);
        assertThat(tally.where()).isEqualTo("silo-3");
        assertThat(this.environment.duplicates()).isEmpty();
        assertThat(this.environment.log()).containsExactly("activate " + id + " on silo-1",
                "deactivate " + id + " on silo-1 (HANDOFF)", "activate " + id + " on silo-3");
    }

    @Test
    void newOwnerThatCannotReachThePreviousOwnerRefusesTheActivationUntilItCan() {
        this.cluster = new TallyCluster(this.environment, 3);
        String id = TallyCluster.idWhere((candidate) -> this.cluster.ownerOf(candidate).equals("silo-1")
                && ownerOnceJoined(candidate, "silo-3").equals("silo-3"));
        Tally tally = this.cluster.silo(0).get(Tally.class, id);
        this.cluster.cluster().network().cut("silo-3", "silo-1");
        this.cluster.addSilo();
        assertThatExceptionOfType(SiloUnavailableException.class).isThrownBy(tally::where)
            .withMessageContaining("Tally/" + id)
            .withMessageContaining("silo-1")
            .withMessageContaining("did not confirm");
        this.cluster.cluster().network().heal("silo-3", "silo-1");
        assertThat(tally.where()).isEqualTo("silo-3");
        assertThat(this.environment.duplicates()).isEmpty();
    }

    /** The owner of a tally once a silo of that id has joined the silos of the current view. */
    private String ownerOnceJoined(String id, String joining) {
        ClusterView view = this.cluster.silo(0).routing().view();
        SiloEntry some = view.membership().silos().values().iterator().next();
        List<SiloEntry> entries = new ArrayList<>(view.membership().silos().values());
        entries.add(new SiloEntry(joining, some.address(), some.startTime(), SiloStatus.ACTIVE, some.lastHeartbeat(),
                99, some.actorTypes(), List.of()));
        ClusterView joined = ClusterView.of(MembershipSnapshot.of(view.version() + 1, entries),
                view.ring().virtualNodes());
        return new HashPlacementDirector().ownerOf(new ActorAddress("Tally", id), joined);
    }

    private Map<String, String> owners() {
        return this.ids.stream().collect(Collectors.toMap(Function.identity(), (id) -> this.cluster.ownerOf(id)));
    }

    /** A transport that keeps what its silo sends. */
    private static final class RecordingTransport extends ForwardingTransport {

        private final List<Envelope> sent;

        RecordingTransport(Transport transport, List<Envelope> sent) {
            super(transport);
            this.sent = sent;
        }

        @Override
        public CompletionStage<Void> send(SiloAddress target, Envelope envelope) {
            this.sent.add(envelope);
            return super.send(target, envelope);
        }
    }

    /**
     * Holds the directory hand-overs ({@code ADOPT}) and registrations again ({@code REGISTER_AGAIN}) of one actor
     * that the silos sent through it, until released, as a slow link would; everything else goes at once.
     */
    private static final class HeldDirectoryWrites {

        private final CompletableFuture<Void> released = new CompletableFuture<>();

        private final List<DirectoryRequest.Operation> operations = new CopyOnWriteArrayList<>();

        private volatile String actorId = "";

        void actorId(String actorId) {
            this.actorId = actorId;
        }

        /** The operations held so far. */
        List<DirectoryRequest.Operation> operations() {
            return this.operations;
        }

        void release() {
            this.released.complete(null);
        }

        Transport wrap(Transport transport) {
            return new ForwardingTransport(transport) {

                @Override
                public CompletionStage<Void> send(SiloAddress target, Envelope envelope) {
                    DirectoryRequest.Operation operation = heldOperation(envelope);
                    if (operation == null) {
                        return super.send(target, envelope);
                    }
                    HeldDirectoryWrites.this.operations.add(operation);
                    return HeldDirectoryWrites.this.released.thenCompose((ignored) -> super.send(target, envelope));
                }
            };
        }

        private DirectoryRequest.@Nullable Operation heldOperation(Envelope envelope) {
            if (envelope.kind() != Envelope.Kind.DIRECTORY || !this.actorId.equals(envelope.actorId())) {
                return null;
            }
            DirectoryRequest.Operation operation = DirectoryRequest.decode(envelope.payload()).operation();
            return (operation == DirectoryRequest.Operation.ADOPT
                    || operation == DirectoryRequest.Operation.REGISTER_AGAIN) ? operation : null;
        }
    }

    /**
     * Makes a silo's transport fail to hand over the directory removals of the stayer ({@code UNREGISTER}, and
     * {@code REMOVE_STALE} until the silo sends a call for the stayer on), as a link that is down would: the
     * removals fail, the entry stays.
     */
    private static final class FailingDirectoryRemovals {

        private final boolean unregisters;

        private final AtomicBoolean staleRemovals;

        private final AtomicInteger failed = new AtomicInteger();

        private final AtomicInteger refused = new AtomicInteger();

        private FailingDirectoryRemovals(boolean unregisters, boolean staleRemovals) {
            this.unregisters = unregisters;
            this.staleRemovals = new AtomicBoolean(staleRemovals);
        }

        static FailingDirectoryRemovals none() {
            return new FailingDirectoryRemovals(false, false);
        }

        static FailingDirectoryRemovals unregisters() {
            return new FailingDirectoryRemovals(true, false);
        }

        static FailingDirectoryRemovals unregistersAndStaleRemovalsBeforeTheCallGoesOn() {
            return new FailingDirectoryRemovals(true, true);
        }

        int failed() {
            return this.failed.get();
        }

        /** How many calls for the stayer the silo refused without running them. */
        int refused() {
            return this.refused.get();
        }

        Transport wrap(Transport transport) {
            return new ForwardingTransport(transport) {

                @Override
                public CompletionStage<Void> send(SiloAddress target, Envelope envelope) {
                    if (fails(envelope)) {
                        FailingDirectoryRemovals.this.failed.incrementAndGet();
                        return CompletableFuture.failedFuture(new SiloUnreachableException("Test: the directory "
                                + "removal of " + envelope.actorType() + "/" + envelope.actorId() + " is not handed "
                                + "over to silo " + envelope.targetSiloId()));
                    }
                    return super.send(target, envelope);
                }
            };
        }

        private boolean fails(Envelope envelope) {
            if (!"stayer".equals(envelope.actorId())) {
                return false;
            }
            if (envelope.kind() == Envelope.Kind.REQUEST) {
                this.staleRemovals.set(false);
                return false;
            }
            if (envelope.kind() == Envelope.Kind.ERROR && envelope.metadata().containsKey("quark-not-delivered")) {
                this.refused.incrementAndGet();
                return false;
            }
            if (envelope.kind() != Envelope.Kind.DIRECTORY) {
                return false;
            }
            DirectoryRequest.Operation operation = DirectoryRequest.decode(envelope.payload()).operation();
            return (operation == DirectoryRequest.Operation.UNREGISTER && this.unregisters)
                    || (operation == DirectoryRequest.Operation.REMOVE_STALE && this.staleRemovals.get());
        }
    }
}
