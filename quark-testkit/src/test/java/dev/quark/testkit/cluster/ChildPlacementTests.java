package dev.quark.testkit.cluster;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import dev.quark.cluster.SiloNotServingException;
import dev.quark.cluster.membership.SiloEntry;
import dev.quark.cluster.ring.HashRing;
import dev.quark.cluster.ring.RingHash;
import dev.quark.cluster.transport.Envelope;
import dev.quark.cluster.transport.injvm.InJvmNetwork;
import dev.quark.runtime.ActorAddress;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatRuntimeException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Children spawned under supervision are placed with their parent: registered in the directory partition of
 * their address (on their hash owner) as living on the parent's silo before their first activation, so that
 * calls from every silo reach that one activation; never two activations while the hash owner dies or a silo
 * joins; the entry leaves with the parent.
 */
class ChildPlacementTests {

    private final TallyEnvironment environment = new TallyEnvironment();

    @AutoClose
    private TallyCluster cluster;

    private TallyCluster start(int silos) {
        this.cluster = new TallyCluster(this.environment, TestCluster.builder().silos(silos).runtime((siloId, runtime) -> {
            runtime.actor(NestActor.class, () -> new NestActor(siloId));
            runtime.actor(ChickActor.class, () -> new ChickActor(this.environment, siloId));
        }));
        return this.cluster;
    }

    @Test
    void aChildRunsOnItsParentsSiloAndCallsFromEverySiloReachThatActivation() {
        start(3);
        String parent = idOwnedIn("Nest", ring("silo-0", "silo-1", "silo-2"), "silo-0");
        String child = idOwnedIn("Chick", ring("silo-0", "silo-1", "silo-2"), "silo-2");

        assertThat(this.cluster.silo(1).get(Nest.class, parent).spawn(child)).isEqualTo("silo-0");
        for (TestSilo silo : this.cluster.cluster().silos()) {
            assertThat(silo.get(Chick.class, child).where()).as("from " + silo.siloId()).isEqualTo("silo-0");
            silo.get(Chick.class, child).add(1);
        }
        assertThat(this.cluster.silo(2).get(Chick.class, child).add(0)).isEqualTo(3);
        assertThat(this.environment.activations("Chick:" + child)).isEqualTo(1);
        assertThat(this.environment.duplicates()).isEmpty();
    }

    /**
     * The child's hash owner dies while the parent's silo runs the child and reads membership late: the new
     * owner, whose partition is empty, holds its first activation until that silo has registered the child
     * again, so the call reaches the one activation (the duplicate check records every activation).
     */
    @Test
    void theHashOwnerDiesWhileTheParentsSiloRunsTheChildAndNoSecondActivationStarts() {
        start(3);
        String parent = idOwnedIn("Nest", ring("silo-0", "silo-1", "silo-2"), "silo-0");
        String child = chickOwnedBySilo2OfThreeAndSilo1OfTwo();
        assertThat(this.cluster.silo(0).get(Nest.class, parent).spawn(child)).isEqualTo("silo-0");
        assertThat(this.cluster.silo(1).get(Chick.class, child).add(5)).isEqualTo(5);

        TestSilo late = this.cluster.silo(0);
        late.holdViews();
        this.cluster.cluster().killSilo(2);
        this.cluster.cluster().declareDead(2);
        TestSilo owner = this.cluster.silo(1);
        await().atMost(TallyEnvironment.timeout()).until(() -> owner.routing().view().ring().silos().size() == 2);
        // The new owner asks silo-0 (an owner in the first views) to give the child up, which makes silo-0 read
        // membership: the hold may end before the views are released, but the call must reach silo-0's activation.
        CompletableFuture<Long> call = CompletableFuture.supplyAsync(() -> owner.get(Chick.class, child).add(1));
        await().atMost(TallyEnvironment.timeout()).until(() -> call.isDone() || !late.routing().view().ring().silos()
            .contains("silo-2"));
        late.releaseViews();

        assertThat(call.join()).isEqualTo(6);
        assertThat(owner.get(Chick.class, child).where()).isEqualTo("silo-0");
        assertThat(this.environment.activations("Chick:" + child)).isEqualTo(1);
        assertThat(this.environment.duplicates()).isEmpty();
    }

    @Test
    void aSiloJoinsAndGainsTheChildsPartitionAndTheChildStaysTheOneActivation() {
        start(2);
        String parent = TallyCluster.idWhere((candidate) ->
                "silo-0".equals(ownerIn("Nest", candidate, ring("silo-0", "silo-1")))
                && "silo-0".equals(ownerIn("Nest", candidate, ring("silo-0", "silo-1", "silo-2"))));
        String child = chickOwnedBySilo2OfThreeAndSilo1OfTwo();
        assertThat(this.cluster.silo(1).get(Nest.class, parent).spawn(child)).isEqualTo("silo-0");
        assertThat(this.cluster.silo(1).get(Chick.class, child).add(1)).isEqualTo(1);

        this.cluster.addSilo();
        for (TestSilo silo : this.cluster.cluster().silos()) {
            await().atMost(TallyEnvironment.timeout()).until(() -> silo.routing().view().ring().silos().size() == 3);
        }
        for (TestSilo silo : this.cluster.cluster().silos()) {
            assertThat(silo.get(Chick.class, child).where()).as("from " + silo.siloId()).isEqualTo("silo-0");
            silo.get(Chick.class, child).add(1);
        }
        assertThat(this.cluster.silo(2).get(Chick.class, child).add(0)).isEqualTo(4);
        assertThat(this.environment.activations("Chick:" + child)).isEqualTo(1);
        assertThat(this.environment.duplicates()).isEmpty();
    }

    @Test
    void whenTheParentDeactivatesTheChildsEntryLeavesAndTheNextCallActivatesItOnItsHashOwner() {
        start(3);
        String parent = idOwnedIn("Nest", ring("silo-0", "silo-1", "silo-2"), "silo-0");
        String child = idOwnedIn("Chick", ring("silo-0", "silo-1", "silo-2"), "silo-2");
        assertThat(this.cluster.silo(1).get(Nest.class, parent).spawn(child)).isEqualTo("silo-0");
        assertThat(this.cluster.silo(2).routing().directoryEntries()).isEqualTo(1);

        assertThat(this.cluster.silo(0).runtime().deactivate(Nest.class, parent)).isTrue();
        await().atMost(TallyEnvironment.timeout())
            .until(() -> this.cluster.cluster().silos().stream().mapToInt((silo) -> silo.routing().directoryEntries())
                .sum() == 0);

        assertThat(this.cluster.silo(0).get(Chick.class, child).where()).isEqualTo("silo-2");
        assertThat(this.cluster.silo(1).get(Chick.class, child).where()).isEqualTo("silo-2");
        assertThat(this.environment.activations("Chick:" + child)).isEqualTo(2);
        assertThat(this.environment.duplicates()).isEmpty();
    }

    @Test
    void aChildThatFailsIsRestartedByItsSupervisorOnItsParentsSilo() {
        start(3);
        String parent = idOwnedIn("Nest", ring("silo-0", "silo-1", "silo-2"), "silo-0");
        String child = idOwnedIn("Chick", ring("silo-0", "silo-1", "silo-2"), "silo-2");
        assertThat(this.cluster.silo(1).get(Nest.class, parent).spawn(child)).isEqualTo("silo-0");

        assertThatRuntimeException().isThrownBy(() -> this.cluster.silo(2).get(Chick.class, child).fail());
        await().atMost(TallyEnvironment.timeout()).until(() -> this.environment.activations("Chick:" + child) == 2);

        assertThat(this.cluster.silo(2).get(Chick.class, child).where()).isEqualTo("silo-0");
        assertThat(this.environment.activations("Chick:" + child)).isEqualTo(2);
        assertThat(this.environment.log()).filteredOn((line) -> line.startsWith("activate Chick:"))
            .allMatch((line) -> line.endsWith(" on silo-0"));
        assertThat(this.environment.duplicates()).isEmpty();
    }

    /**
     * A child's first registration waits at its owner (silo-2) for the previous owner (silo-1) to give up an
     * activation that is busy; meanwhile silo-3 joins and takes the child's partition. The registration that goes
     * on afterwards must not write an entry into silo-2's partition, which silo-2 no longer owns and which was
     * handed over already (silo-3 would not see it, and would claim the child for itself): it is refused there,
     * and the parent's silo registers the child with silo-3.
     */
    @Test
    void aSiloJoinsWhileAChildsRegistrationWaitsForThePreviousOwnerAndNoEntryIsLeftBehind() {
        start(2);
        HashRing two = ring("silo-0", "silo-1");
        HashRing three = ring("silo-0", "silo-1", "silo-2");
        HashRing four = ring("silo-0", "silo-1", "silo-2", "silo-3");
        String parent = TallyCluster.idWhere((candidate) -> "silo-0".equals(ownerIn("Nest", candidate, two))
                && "silo-0".equals(ownerIn("Nest", candidate, three))
                && "silo-0".equals(ownerIn("Nest", candidate, four)));
        String child = TallyCluster.idWhere((candidate) -> "silo-1".equals(ownerIn("Chick", candidate, two))
                && "silo-2".equals(ownerIn("Chick", candidate, three))
                && "silo-3".equals(ownerIn("Chick", candidate, four)));
        CompletableFuture<Void> busy = CompletableFuture.runAsync(
                () -> this.cluster.silo(1).get(Chick.class, child).block("busy"));
        await().atMost(TallyEnvironment.timeout()).until(() -> this.environment.reached("busy"));

        this.cluster.addSilo();
        awaitRingOf(3);
        CompletableFuture<String> spawned = CompletableFuture
            .supplyAsync(() -> this.cluster.silo(0).get(Nest.class, parent).spawn(child));
        this.cluster.addSilo();
        awaitRingOf(4);
        this.environment.open("busy");

        assertThat(busy).succeedsWithin(TallyEnvironment.timeout());
        assertThat(spawned).succeedsWithin(TallyEnvironment.timeout()).isEqualTo("silo-0");
        assertThat(this.cluster.silo(2).routing().directoryEntries()).as("entries left at silo-2").isZero();
        assertThat(this.cluster.silo(3).routing().directoryEntries()).as("entries at silo-3").isEqualTo(1);
        for (TestSilo silo : this.cluster.cluster().silos()) {
            assertThat(silo.get(Chick.class, child).where()).as("from " + silo.siloId()).isEqualTo("silo-0");
        }
        assertThat(this.environment.duplicates()).isEmpty();
    }

    /**
     * A new hash owner of an actor placed with its parent asks the previous owner for its entry before its first
     * activation; if it stops serving while it waits (it fenced itself, or paused, and the answer comes late), it does
     * not activate the actor, and takes back its claim.
     */
    @Test
    void aNewOwnerThatStopsServingWhileItClaimsAChildActivatesNothing() {
        InJvmNetwork network = new InJvmNetwork();
        FirstEnvelopeHeld heldTransport = new FirstEnvelopeHeld(network.transport());
        this.cluster = new TallyCluster(this.environment, TestCluster.builder().silos(2).runtime((siloId, runtime) -> {
            runtime.actor(NestActor.class, () -> new NestActor(siloId));
            runtime.actor(ChickActor.class, () -> new ChickActor(this.environment, siloId));
        }).transport((siloId) -> siloId.equals("silo-2") ? heldTransport : network.transport()));
        try {
            String child = TallyCluster.idWhere((candidate) -> "silo-1".equals(ownerIn("Chick", candidate,
                    ring("silo-0", "silo-1"))) && "silo-2".equals(ownerIn("Chick", candidate,
                    ring("silo-0", "silo-1", "silo-2"))));
            // silo-2's question to the previous owner for the child's entry waits until released.
            heldTransport.hold((envelope) -> envelope.kind() == Envelope.Kind.DIRECTORY
                    && child.equals(envelope.actorId()));
            TestSilo owner = this.cluster.addSilo();
            awaitRingOf(3);
            CompletableFuture<String> call = CompletableFuture.supplyAsync(() -> owner.get(Chick.class, child).where());
            await().atMost(TallyEnvironment.timeout()).until(heldTransport::holds);
            owner.membership().halt();
            heldTransport.release();

            assertThat(call).failsWithin(TallyEnvironment.timeout()).withThrowableThat()
                .havingRootCause().isInstanceOf(SiloNotServingException.class)
                .withMessageContaining("Silo silo-2 stopped serving while it claimed Chick/" + child);
            assertThat(this.environment.activations("Chick:" + child)).isZero();
        }
        finally {
            heldTransport.release();
            this.cluster.close();
            network.close();
        }
    }

    /**
     * The child's hash owner is restarted with the same silo id (a new epoch) while the parent's silo, reading
     * membership late, runs the child: the new incarnation's partition is empty, so the parent's silo registers
     * the child again with it (the owner's incarnation changed, though its id did not), and the new incarnation
     * holds its own first activation until it has.
     */
    @Test
    void theHashOwnerRestartsWithTheSameIdWhileTheParentsSiloRunsTheChildAndNoSecondActivationStarts() {
        start(3);
        String parent = idOwnedIn("Nest", ring("silo-0", "silo-1", "silo-2"), "silo-0");
        String child = chickOwnedBySilo2OfThreeAndSilo1OfTwo();
        assertThat(this.cluster.silo(0).get(Nest.class, parent).spawn(child)).isEqualTo("silo-0");
        assertThat(this.cluster.silo(1).get(Chick.class, child).add(5)).isEqualTo(5);

        TestSilo late = this.cluster.silo(0);
        late.holdViews();
        long before = epochOf("silo-2", this.cluster.silo(1));
        this.cluster.cluster().killSilo(2);
        TestSilo restarted = this.cluster.restartSilo(2);
        await().atMost(TallyEnvironment.timeout()).until(() -> epochOf("silo-2", restarted) != before
                && restarted.routing().view().ring().silos().size() == 3
                && this.cluster.silo(1).routing().view().ring().silos().size() == 3
                && epochOf("silo-2", this.cluster.silo(1)) == epochOf("silo-2", restarted));
        assertThat(epochOf("silo-2", late)).as("the epoch of silo-2 the late silo knows before it reads membership")
            .isEqualTo(before);
        late.releaseViews();

        assertThat(this.cluster.silo(1).get(Chick.class, child).add(1)).isEqualTo(6);
        assertThat(restarted.get(Chick.class, child).where()).isEqualTo("silo-0");
        assertThat(this.environment.activations("Chick:" + child)).isEqualTo(1);
        assertThat(this.environment.duplicates()).isEmpty();
    }

    /**
     * A hash-placed activation that fails to activate on its owner leaves no claim there: the owner does not
     * refuse the actor's later registration as a child placed with its parent as if it still ran it.
     */
    @Test
    void anActivationThatFailsOnItsOwnerLeavesNoClaimAndTheChildIsPlacedWithItsParentLater() {
        start(3);
        String parent = idOwnedIn("Nest", ring("silo-0", "silo-1", "silo-2"), "silo-0");
        String child = idOwnedIn("Chick", ring("silo-0", "silo-1", "silo-2"), "silo-2");
        this.environment.failNextActivation("Chick:" + child);
        assertThatThrownBy(() -> this.cluster.silo(1).get(Chick.class, child).add(1))
            .hasMessageContaining("fails to activate");

        assertThat(this.cluster.silo(0).get(Nest.class, parent).spawn(child)).isEqualTo("silo-0");
        for (TestSilo silo : this.cluster.cluster().silos()) {
            assertThat(silo.get(Chick.class, child).where()).as("from " + silo.siloId()).isEqualTo("silo-0");
        }
        assertThat(this.environment.activations("Chick:" + child)).isEqualTo(1);
        assertThat(this.environment.duplicates()).isEmpty();
    }

    /**
     * The parent ends after the child's partition moved to a silo that joined: the previous owner still holds
     * the child's entry among the ones it handed over, for the hand-off window. The new owner, which removed the
     * entry when the parent's silo asked, must not take it again from the previous owner when the next call
     * comes: the call activates the child on its hash owner (it would otherwise go back and forth between the
     * owner and the parent's silo until the forward limit).
     */
    @Test
    void afterTheParentEndsTheNewOwnerDoesNotTakeTheChildsEntryAgainFromThePreviousOwner() {
        start(2);
        String parent = TallyCluster.idWhere((candidate) ->
                "silo-0".equals(ownerIn("Nest", candidate, ring("silo-0", "silo-1")))
                && "silo-0".equals(ownerIn("Nest", candidate, ring("silo-0", "silo-1", "silo-2"))));
        String child = chickOwnedBySilo2OfThreeAndSilo1OfTwo();
        assertThat(this.cluster.silo(1).get(Nest.class, parent).spawn(child)).isEqualTo("silo-0");
        this.cluster.addSilo();
        awaitRingOf(3);
        await().atMost(TallyEnvironment.timeout()).until(() -> this.cluster.silo(2).routing().directoryEntries() == 1);

        assertThat(this.cluster.silo(0).runtime().deactivate(Nest.class, parent)).isTrue();
        await().atMost(TallyEnvironment.timeout())
            .until(() -> this.cluster.cluster().silos().stream().mapToInt((silo) -> silo.routing().directoryEntries())
                .sum() == 0);

        assertThat(this.cluster.silo(1).get(Chick.class, child).where()).isEqualTo("silo-2");
        assertThat(this.cluster.silo(0).get(Chick.class, child).where()).isEqualTo("silo-2");
        assertThat(this.cluster.silo(2).routing().directoryEntries()).isZero();
        assertThat(this.environment.duplicates()).isEmpty();
    }

    /**
     * A silo that just started owns hash-placed actors of a type that cannot be a child (no
     * {@code @PlacedWithParent}): their first activations there do not wait for the other silos' re-registration
     * rounds, although one silo (reading membership late) does not report its round for the bound of the hold.
     * <p>
     * The late silo is silo-2, not silo-0: a silo asked {@code HANDOFF} passes it on to the owners of its earlier
     * views (the guessed one before its first view included), and the asked silo reads membership first, which
     * would end the hold. The actor is owned by silo-1 (the owner the silo that started asks) and never by silo-2
     * in any view silo-1 or silo-0 may have had, so no hand-off reaches the late silo.
     */
    @Test
    void aTopLevelActorOwnedByASiloThatJustStartedActivatesWithoutWaitingForTheReRegistrationRounds() {
        start(3);
        String parent = TallyCluster.idWhere((candidate) ->
                "silo-1".equals(ownerIn("Nest", candidate, ring("silo-0", "silo-1", "silo-2")))
                && "silo-0".equals(ownerIn("Nest", candidate, ring("silo-0", "silo-2")))
                && "silo-3".equals(ownerIn("Nest", candidate, ring("silo-0", "silo-1", "silo-2", "silo-3"))));
        TestSilo late = this.cluster.silo(2);
        late.holdViews();
        TestSilo started = this.cluster.addSilo();
        await().atMost(TallyEnvironment.timeout()).until(() -> started.routing().view().ring().silos().size() == 4
                && this.cluster.silo(0).routing().view().ring().silos().size() == 4
                && this.cluster.silo(1).routing().view().ring().silos().size() == 4);

        CompletableFuture<String> where = CompletableFuture.supplyAsync(() -> started.get(Nest.class, parent).where());

        // The hold would last 5 s (half the hand-off timeout): the late silo reports no round meanwhile.
        assertThat(where).succeedsWithin(Duration.ofSeconds(4)).isEqualTo("silo-3");
        assertThat(late.routing().view().ring().silos()).as("the late silo's view when the activation completed")
            .doesNotContain("silo-3");
        late.releaseViews();
    }

    /** A child id whose hash owner is silo-2 in a ring of three silos and silo-1 in the ring without silo-2. */
    private String chickOwnedBySilo2OfThreeAndSilo1OfTwo() {
        return TallyCluster.idWhere((candidate) ->
                "silo-2".equals(ownerIn("Chick", candidate, ring("silo-0", "silo-1", "silo-2")))
                && "silo-1".equals(ownerIn("Chick", candidate, ring("silo-0", "silo-1"))));
    }

    private void awaitRingOf(int silos) {
        for (TestSilo silo : this.cluster.cluster().silos()) {
            await().atMost(TallyEnvironment.timeout())
                .until(() -> silo.routing().view().ring().silos().size() == silos);
        }
    }

    private static long epochOf(String siloId, TestSilo viewer) {
        SiloEntry entry = viewer.routing().view().membership().silos().get(siloId);
        return (entry != null) ? entry.epoch() : -1;
    }

    private HashRing ring(String... silos) {
        return HashRing.of(List.of(silos), this.cluster.silo(0).routing().view().ring().virtualNodes());
    }

    private static String ownerIn(String type, String id, HashRing ring) {
        return ring.ownerOf(RingHash.of(new ActorAddress(type, id)));
    }

    private static String idOwnedIn(String type, HashRing ring, String siloId) {
        return TallyCluster.idWhere((candidate) -> siloId.equals(ownerIn(type, candidate, ring)));
    }
}
