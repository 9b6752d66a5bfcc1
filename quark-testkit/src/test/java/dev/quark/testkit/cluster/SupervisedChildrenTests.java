package dev.quark.testkit.cluster;

import java.util.concurrent.atomic.AtomicInteger;

import dev.quark.cluster.placement.HashPlacementDirector;
import dev.quark.runtime.ActorAddress;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.awaitility.Awaitility.await;

/**
 * Children spawned under supervision live with their parent and are registered in the directory: calls made on
 * any silo reach their one activation on the parent's silo, whatever their type's placement, also after their
 * supervisor restarted them; the entries go with the parent.
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
        TestCluster.Builder builder = TestCluster.builder().silos(silos).runtime((siloId, runtime) -> {
            runtime.actor(TallyActor.class, () -> new TallyActor(this.environment, siloId));
            runtime.actor(HomebodyActor.class, () -> new HomebodyActor(this.environment, siloId));
            runtime.actor(NestActor.class, () -> new NestActor(siloId));
            runtime.actor(SkittishActor.class,
                    () -> new SkittishActor(this.environment, siloId, this.skittishFailures));
        });
        this.cluster = new TallyCluster(this.environment, builder);
        return this.cluster;
    }

    /** The first nest id that the silo owns by hash. */
    private String nestOwnedBy(String siloId) {
        return TallyCluster.idWhere((id) -> siloId.equals(new HashPlacementDirector()
            .ownerOf(new ActorAddress("Nest", id), this.cluster.silo(0).routing().view())));
    }

    private int directoryEntries() {
        return this.cluster.cluster().silos().stream()
            .filter(TestSilo::isRunning)
            .mapToInt((silo) -> silo.routing().directoryEntries())
            .sum();
    }

    @Test
    void aHashPlacedChildRunsOnItsParentsSiloWhicheverSiloCallsIt() {
        start(3);
        String parent = nestOwnedBy("silo-0");
        String child = this.cluster.idOwnedBy("silo-1");

        assertThat(this.cluster.silo(2).get(Nest.class, parent).spawnTally(child)).isEqualTo("silo-0");
        assertThat(directoryEntries()).isEqualTo(1);
        for (TestSilo silo : this.cluster.cluster().silos()) {
            assertThat(silo.get(Tally.class, child).where()).as("called from " + silo.siloId()).isEqualTo("silo-0");
            silo.get(Tally.class, child).add(1);
        }
        assertThat(this.cluster.silo(1).get(Tally.class, child).total()).isEqualTo(3);
        assertThat(this.cluster.silo(2).get(Nest.class, parent).spawnTally(child)).as("spawned again")
            .isEqualTo("silo-0");
        assertThat(this.environment.activations(child)).isEqualTo(1);
        assertThat(this.environment.duplicates()).isEmpty();
    }

    @Test
    void aChildThatWentIdleIsActivatedAgainOnItsParentsSilo() {
        start(3);
        String parent = nestOwnedBy("silo-0");
        String child = this.cluster.idOwnedBy("silo-2");
        this.cluster.silo(0).get(Nest.class, parent).spawnTally(child);

        assertThat(this.cluster.silo(0).runtime().deactivate(Tally.class, child)).isTrue();
        await().atMost(TallyEnvironment.timeout()).until(() -> this.environment.alive(child) == 0);
        assertThat(directoryEntries()).as("the entry stays with the supervision").isEqualTo(1);

        assertThat(this.cluster.silo(2).get(Tally.class, child).where()).isEqualTo("silo-0");
        assertThat(this.cluster.silo(1).get(Tally.class, child).where()).isEqualTo("silo-0");
        assertThat(this.environment.activations(child)).isEqualTo(2);
        assertThat(this.environment.duplicates()).isEmpty();
    }

    @Test
    void theParentsDeactivationRemovesItsChildrensEntriesAndTheNextCallPlacesThemByTheirPlacement() {
        start(3);
        String parent = nestOwnedBy("silo-0");
        String tally = this.cluster.idOwnedBy("silo-1");
        this.cluster.silo(0).get(Nest.class, parent).spawnTally(tally);
        assertThat(this.cluster.silo(0).get(Nest.class, parent).spawnHomebody("home")).isEqualTo("silo-0");
        assertThat(this.cluster.silo(2).get(Tally.class, tally).where()).isEqualTo("silo-0");
        assertThat(directoryEntries()).isEqualTo(2);

        assertThat(this.cluster.silo(0).runtime().deactivate(Nest.class, parent)).isTrue();
        await().atMost(TallyEnvironment.timeout()).until(() -> directoryEntries() == 0);
        assertThat(this.environment.alive(tally)).isZero();
        assertThat(this.environment.alive("Homebody:home")).isZero();

        assertThat(this.cluster.silo(1).get(Tally.class, tally).where())
            .as("on its hash owner, which knew it as a child")
            .isEqualTo("silo-1");
        assertThat(this.cluster.silo(2).get(Tally.class, tally).where()).as("by hash").isEqualTo("silo-1");
        assertThat(this.cluster.silo(0).get(Tally.class, tally).where()).isEqualTo("silo-1");
        assertThat(this.cluster.silo(2).get(Homebody.class, "home").where()).as("local preferred")
            .isEqualTo("silo-2");
        assertThat(this.environment.activations(tally)).isEqualTo(2);
        assertThat(this.environment.duplicates()).isEmpty();
    }

    @Test
    void aChildRestartedAfterItsActivationFailedKeepsItsEntryAndIsCalledOnItsParentsSilo() {
        start(3);
        String parent = nestOwnedBy("silo-0");
        this.skittishFailures.set(1);
        assertThat(this.cluster.silo(0).get(Nest.class, parent).spawnSkittish("jumpy")).isEqualTo("failed");
        await().atMost(TallyEnvironment.timeout())
            .until(() -> this.environment.activations("Skittish:jumpy") == 1);

        assertThat(this.cluster.silo(1).get(Skittish.class, "jumpy").where()).isEqualTo("silo-0");
        assertThat(this.cluster.silo(2).get(Skittish.class, "jumpy").where()).isEqualTo("silo-0");
        assertThat(directoryEntries()).isEqualTo(1);
        assertThat(this.environment.activations("Skittish:jumpy")).isEqualTo(1);
        assertThat(this.environment.duplicates()).isEmpty();
    }

    @Test
    void theChildrenOfADeadSiloAreActivatedAgainByTheirPlacement() {
        start(3);
        String parent = nestOwnedBy("silo-0");
        String child = this.cluster.idOwnedBy("silo-1");
        this.cluster.silo(0).get(Nest.class, parent).spawnTally(child);
        this.cluster.silo(0).get(Tally.class, child).add(5);

        this.cluster.cluster().killSilo(0);
        this.cluster.cluster().declareDead(0);
        await().atMost(TallyEnvironment.timeout()).until(() -> directoryEntries() == 0);

        assertThat(this.cluster.silo(2).get(Tally.class, child).where()).isEqualTo(this.cluster.ownerOf(child));
        assertThat(this.environment.activations(child)).isEqualTo(2);
    }

    @Test
    void spawningAnActorThatLivesOnAnotherSiloFailsNamingThatSilo() {
        start(2);
        String parent = nestOwnedBy("silo-0");
        assertThat(this.cluster.silo(1).get(Homebody.class, "taken").where()).isEqualTo("silo-1");

        assertThatIllegalStateException()
            .isThrownBy(() -> this.cluster.silo(0).get(Nest.class, parent).spawnHomebody("taken"))
            .withMessageContaining("Homebody/taken")
            .withMessageContaining("lives on silo silo-1");
        assertThat(this.cluster.silo(0).get(Homebody.class, "taken").where()).isEqualTo("silo-1");
        assertThat(this.environment.activations("Homebody:taken")).isEqualTo(1);
    }
}
