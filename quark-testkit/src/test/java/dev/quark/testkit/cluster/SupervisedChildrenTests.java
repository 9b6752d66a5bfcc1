package dev.quark.testkit.cluster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

import dev.quark.cluster.CallForwardingException;
import dev.quark.cluster.placement.HashPlacementDirector;
import dev.quark.runtime.ActorAddress;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Children spawned under supervision live with their parent in a cluster: a hash-placed child runs on its
 * parent's silo although another silo owns it by hash, calls from every silo reach its one activation, a
 * supervised restart keeps it there; its directory entry lives as long as its activation there. Its hash owner
 * decides in one place (its directory partition) between its own activation and the child's registration.
 */
class SupervisedChildrenTests {

    private final TallyEnvironment environment = new TallyEnvironment();

    private final AtomicInteger skittishFailures = new AtomicInteger();

    private TallyCluster cluster;

    @AfterEach
    void close() {
        if (this.cluster != null) {
            this.cluster.close();
        }
    }

    private TallyCluster start(int silos) {
        TestCluster.Builder builder = TestCluster.builder().silos(silos)
            .routing((routing) -> routing.handoffTimeout(Duration.ofSeconds(2)))
            .runtime((siloId, runtime) -> {
                runtime.actor(TallyActor.class, () -> new TallyActor(this.environment, siloId));
                runtime.actor(HomebodyActor.class, () -> new HomebodyActor(this.environment, siloId));
                runtime.actor(NestActor.class, () -> new NestActor(siloId));
                runtime.actor(SkittishActor.class,
                        () -> new SkittishActor(this.environment, siloId, this.skittishFailures));
                runtime.actor(FickleActor.class,
                        () -> new FickleActor(this.environment, siloId, this.skittishFailures));
            });
        this.cluster = new TallyCluster(this.environment, builder);
        return this.cluster;
    }

    /** The first id of a type that the silo owns by hash. */
    private String ownedBy(String type, String siloId) {
        return TallyCluster.idWhere((id) -> siloId.equals(new HashPlacementDirector()
            .ownerOf(new ActorAddress(type, id), this.cluster.silo(0).routing().view())));
    }

    private int directoryEntries() {
        return this.cluster.cluster().silos().stream()
            .filter(TestSilo::isRunning)
            .mapToInt((silo) -> silo.routing().directoryEntries())
            .sum();
    }

    private void assertEveryRunningSiloReaches(String child, String host) {
        for (TestSilo silo : this.cluster.cluster().runningSilos()) {
            assertThat(silo.get(Tally.class, child).where()).as("called from " + silo.siloId()).isEqualTo(host);
        }
    }

    @Test
    void aChildRunsOnItsParentsSiloAlthoughAnotherSiloOwnsItByHashAndEverySiloReachesItsOneActivation() {
        start(3);
        String parent = ownedBy("Nest", "silo-0");
        String child = this.cluster.idOwnedBy("silo-1");

        assertThat(this.cluster.silo(2).get(Nest.class, parent).spawnTally(child)).isEqualTo("silo-0");
        assertThat(directoryEntries()).isEqualTo(1);
        for (TestSilo silo : this.cluster.cluster().silos()) {
            assertThat(silo.get(Tally.class, child).where()).as("called from " + silo.siloId()).isEqualTo("silo-0");
            silo.get(Tally.class, child).add(1);
        }
        assertThat(this.cluster.silo(1).get(Tally.class, child).total()).isEqualTo(3);
        assertThat(this.cluster.silo(1).get(Nest.class, parent).spawnTally(child)).as("spawned again")
            .isEqualTo("silo-0");
        assertThat(this.environment.activations(child)).isEqualTo(1);
        assertThat(this.environment.duplicates()).isEmpty();
    }

    @Test
    void aChildCalledFromEverySiloWhileItsParentComesBackHasOneActivationClusterWide() {
        start(3);
        String parent = ownedBy("Nest", "silo-0");
        String child = this.cluster.idOwnedBy("silo-1");
        assertThat(this.cluster.silo(0).get(Nest.class, parent).spawnTally(child)).isEqualTo("silo-0");

        assertThat(this.cluster.silo(0).runtime().deactivate(Nest.class, parent)).isTrue();
        await("the child deactivated with its parent").atMost(TallyEnvironment.timeout())
            .until(() -> this.environment.alive(child) == 0 && directoryEntries() == 0);

        List<CompletableFuture<Long>> adds = new ArrayList<>();
        CompletableFuture<String> spawned = CompletableFuture
            .supplyAsync(() -> this.cluster.silo(0).get(Nest.class, parent).spawnTally(child));
        for (int round = 0; round < 5; round++) {
            for (TestSilo silo : this.cluster.cluster().silos()) {
                adds.add(silo.get(Tally.class, child).addAsync(1));
            }
        }
        String host = spawned.join();
        adds.forEach(CompletableFuture::join);

        assertThat(host).isIn("silo-0", "silo-1");
        assertEveryRunningSiloReaches(child, host);
        assertThat(this.cluster.silo(2).get(Tally.class, child).total()).isEqualTo(15);
        assertThat(this.environment.alive(child)).isEqualTo(1);
        assertThat(this.environment.duplicates()).isEmpty();
        assertThat(directoryEntries()).as("an entry only for a child on its parent's silo")
            .isEqualTo(host.equals("silo-0") ? 1 : 0);
    }

    @Test
    void theEndOfAParentWhileItsChildRunsAgainKeepsTheEntryOfTheChildsActivationAndOneActivation() {
        start(3);
        String parent = ownedBy("Nest", "silo-0");
        String child = this.cluster.idOwnedBy("silo-1");
        assertThat(this.cluster.silo(0).get(Nest.class, parent).spawnTally(child)).isEqualTo("silo-0");
        CompletableFuture<String> held = CompletableFuture
            .supplyAsync(() -> this.cluster.silo(2).get(Tally.class, child).hold("busy"));
        await("the child holds").atMost(TallyEnvironment.timeout()).until(() -> this.environment.reached("busy"));

        assertThat(this.cluster.silo(0).runtime().deactivate(Nest.class, parent)).isTrue();
        CompletableFuture<Long> again = this.cluster.silo(1).get(Tally.class, child).addAsync(7);
        this.environment.open("busy");

        assertThat(held.join()).isEqualTo("silo-0");
        assertThat(again.join()).isEqualTo(7);
        await("the parent ended").atMost(TallyEnvironment.timeout())
            .until(() -> !this.cluster.silo(0).runtime().isActive(Nest.class, parent));
        String host = this.cluster.silo(2).get(Tally.class, child).where();
        assertEveryRunningSiloReaches(child, host);
        assertThat(this.environment.alive(child)).isEqualTo(1);
        assertThat(this.environment.duplicates()).isEmpty();
        assertThat(directoryEntries()).as("the entry of the activation that runs again")
            .isEqualTo(host.equals("silo-0") ? 1 : 0);

        assertThat(this.cluster.silo(1).get(Tally.class, child).add(1)).isEqualTo(8);
        assertThat(this.environment.alive(child)).isEqualTo(1);
    }

    @Test
    void aStaleEntryOfAChildEndsInABoundedNumberOfForwardsAndAnErrorNamingTheEntry() {
        start(3);
        String parent = ownedBy("Nest", "silo-0");
        String child = this.cluster.idOwnedBy("silo-1");
        assertThat(this.cluster.silo(0).get(Nest.class, parent).spawnTally(child)).isEqualTo("silo-0");

        // The child's silo cannot reach its hash owner while the child ends: the entry stays there.
        this.cluster.cluster().network().cut("silo-0", "silo-1");
        assertThat(this.cluster.silo(0).runtime().deactivate(Nest.class, parent)).isTrue();
        await("the child deactivated with its parent, its UNREGISTER given up").atMost(Duration.ofSeconds(60))
            .until(() -> !this.cluster.silo(0).runtime().hasActivation(new ActorAddress("Tally", child))
                    && !this.cluster.silo(0).runtime().hasActivation(new ActorAddress("Nest", parent)));
        this.cluster.cluster().network().heal("silo-0", "silo-1");
        assertThat(directoryEntries()).isEqualTo(1);

        assertThatThrownBy(() -> this.cluster.silo(2).get(Tally.class, child).where())
            .isInstanceOf(CallForwardingException.class)
            .hasMessageContaining("owns Tally/" + child + " by hash")
            .hasMessageContaining("its directory partition names silo silo-0")
            .hasMessageContaining("already passed on 2 times");
        assertThatThrownBy(() -> this.cluster.silo(1).get(Tally.class, child).where())
            .isInstanceOf(CallForwardingException.class);
        assertThat(this.environment.activations(child)).as("never activated again").isEqualTo(1);
    }

    @Test
    void aHashPlacedActorNeverSpawnedAsAChildIsPlacedByHashWithoutDirectoryEntries() {
        start(3);
        for (int owner = 0; owner < 3; owner++) {
            String id = this.cluster.idOwnedBy("silo-" + owner);
            for (TestSilo silo : this.cluster.cluster().silos()) {
                assertThat(silo.get(Tally.class, id).where()).isEqualTo("silo-" + owner);
            }
            assertThat(this.environment.activations(id)).isEqualTo(1);
        }
        assertThat(directoryEntries()).isZero();
    }

    @Test
    void aChildThatItsHashOwnerRunsAlreadyStaysThereWhenItsParentSpawnsIt() {
        start(3);
        String parent = ownedBy("Nest", "silo-0");
        String child = this.cluster.idOwnedBy("silo-1");
        assertThat(this.cluster.silo(2).get(Tally.class, child).add(2)).isEqualTo(2);

        assertThat(this.cluster.silo(0).get(Nest.class, parent).spawnTally(child)).isEqualTo("silo-1");
        assertEveryRunningSiloReaches(child, "silo-1");
        assertThat(directoryEntries()).isZero();
        assertThat(this.environment.activations(child)).isEqualTo(1);
    }

    @Test
    void aSupervisedRestartKeepsTheChildAndItsEntryOnItsParentsSilo() {
        start(3);
        String parent = ownedBy("Nest", "silo-0");
        String child = this.cluster.idOwnedBy("silo-1");
        assertThat(this.cluster.silo(0).get(Nest.class, parent).spawnTally(child)).isEqualTo("silo-0");
        this.cluster.silo(2).get(Tally.class, child).add(3);

        assertThatThrownBy(() -> this.cluster.silo(1).get(Tally.class, child).failIdempotently("boom"))
            .isInstanceOf(IllegalStateException.class);
        await("restarted").atMost(TallyEnvironment.timeout()).until(() -> this.environment.activations(child) == 2);

        assertEveryRunningSiloReaches(child, "silo-0");
        assertThat(this.cluster.silo(1).get(Tally.class, child).total()).as("saved before the restart").isEqualTo(3);
        assertThat(directoryEntries()).isEqualTo(1);
        assertThat(this.environment.alive(child)).isEqualTo(1);
        assertThat(this.environment.duplicates()).isEmpty();
    }

    @Test
    void aChildRestartedAfterItsActivationFailedKeepsItsEntryOnItsParentsSilo() {
        start(3);
        String parent = ownedBy("Nest", "silo-0");
        String jumpy = ownedBy("Skittish", "silo-1");
        this.skittishFailures.set(1);
        assertThat(this.cluster.silo(0).get(Nest.class, parent).spawnSkittish(jumpy)).isEqualTo("failed");
        await("restarted").atMost(TallyEnvironment.timeout())
            .until(() -> this.environment.activations("Skittish:" + jumpy) == 1);

        for (TestSilo silo : this.cluster.cluster().silos()) {
            assertThat(silo.get(Skittish.class, jumpy).where()).as("called from " + silo.siloId())
                .isEqualTo("silo-0");
        }
        assertThat(directoryEntries()).isEqualTo(1);
        assertThat(this.environment.activations("Skittish:" + jumpy)).isEqualTo(1);
        assertThat(this.environment.duplicates()).isEmpty();
    }

    @Test
    void aDirectoryPlacedChildRestartedAfterItsActivationFailedKeepsItsEntryOnItsParentsSilo() {
        start(3);
        String parent = ownedBy("Nest", "silo-0");
        this.skittishFailures.set(1);
        assertThat(this.cluster.silo(0).get(Nest.class, parent).spawnFickle("moody")).isEqualTo("failed");
        await("restarted").atMost(TallyEnvironment.timeout())
            .until(() -> this.environment.activations("Fickle:moody") == 1);

        for (TestSilo silo : this.cluster.cluster().silos()) {
            assertThat(silo.get(Fickle.class, "moody").where()).as("called from " + silo.siloId())
                .isEqualTo("silo-0");
        }
        assertThat(directoryEntries()).isEqualTo(1);
        assertThat(this.environment.activations("Fickle:moody")).isEqualTo(1);
        assertThat(this.environment.duplicates()).isEmpty();
    }

    @Test
    void theChildOfAKilledSiloIsActivatedAgainByHashWithItsSavedState() {
        start(3);
        String parent = ownedBy("Nest", "silo-0");
        String child = this.cluster.idOwnedBy("silo-1");
        assertThat(this.cluster.silo(0).get(Nest.class, parent).spawnTally(child)).isEqualTo("silo-0");
        this.cluster.silo(2).get(Tally.class, child).add(5);
        assertThat(this.cluster.silo(0).runtime().deactivate(Tally.class, child)).isTrue();
        await("saved").atMost(TallyEnvironment.timeout()).until(() -> this.environment.alive(child) == 0);
        assertThat(this.cluster.silo(0).get(Nest.class, parent).spawnTally(child)).as("with its parent again")
            .isEqualTo("silo-0");

        this.cluster.cluster().killSilo(0);
        this.cluster.cluster().declareDead(0);
        await("the dead silo's entry removed").atMost(TallyEnvironment.timeout())
            .until(() -> directoryEntries() == 0);

        assertEveryRunningSiloReaches(child, "silo-1");
        assertThat(this.cluster.silo(2).get(Tally.class, child).total()).isEqualTo(5);
    }

    @Test
    void aGracefulLeaveOfItsParentsSiloHandsTheChildOverToItsHashOwner() {
        start(3);
        String parent = ownedBy("Nest", "silo-0");
        String child = this.cluster.idOwnedBy("silo-1");
        assertThat(this.cluster.silo(0).get(Nest.class, parent).spawnTally(child)).isEqualTo("silo-0");
        this.cluster.silo(2).get(Tally.class, child).add(4);

        this.cluster.cluster().stopSilo(0);
        assertThat(directoryEntries()).isZero();

        assertEveryRunningSiloReaches(child, "silo-1");
        assertThat(this.cluster.silo(1).get(Tally.class, child).total()).isEqualTo(4);
        assertThat(this.environment.alive(child)).isEqualTo(1);
        assertThat(this.environment.duplicates()).isEmpty();
    }
}
