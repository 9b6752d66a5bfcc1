package dev.quark.testkit.cluster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.stream.IntStream;

import dev.quark.actor.ActorCallTimeoutException;
import dev.quark.cluster.SiloUnavailableException;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * Calls between the silos of a test cluster: every call reaches the one activation of its actor, whichever
 * silo it starts on, with the call chain, the deadline and the failures a local call has.
 */
class ClusterCallTests {

    private final TallyEnvironment environment = new TallyEnvironment();

    @AutoClose
    private TallyCluster cluster;

    @Test
    void callsFromEverySiloReachTheOneActivationOfEachActor() {
        this.cluster = new TallyCluster(this.environment, 3);
        List<String> ids = IntStream.range(0, 30).mapToObj((i) -> "tally-" + i).toList();
        List<TestSilo> silos = this.cluster.cluster().silos();
        for (TestSilo silo : silos) {
            for (String id : ids) {
                silo.get(Tally.class, id).add(1);
            }
        }
        Set<String> hosts = new HashSet<>();
        for (String id : ids) {
            List<String> seen = new ArrayList<>();
            for (TestSilo silo : silos) {
                assertThat(silo.get(Tally.class, id).total()).as(id + " from " + silo.siloId()).isEqualTo(3);
                seen.add(silo.get(Tally.class, id).where());
            }
            assertThat(seen).as(id).containsOnly(this.cluster.ownerOf(id));
            assertThat(this.environment.activations(id)).as(id).isEqualTo(1);
            hosts.add(this.cluster.ownerOf(id));
        }
        assertThat(hosts).as("the actors spread over the silos").hasSize(3);
        assertThat(this.environment.duplicates()).isEmpty();
    }

    @Test
    void callChainComesBackIntoItsFirstActorAcrossSilos() {
        this.cluster = new TallyCluster(this.environment, 2);
        String first = this.cluster.idOwnedBy("silo-0");
        String second = this.cluster.idOwnedBy("silo-1");
        String chain = this.cluster.silo(1).get(Tally.class, first).callThrough(second);
        assertThat(chain).isEqualTo(first + "@silo-0 -> " + second + "@silo-1 -> " + first + "@silo-0");
    }

    @Test
    void oneWayAndAsynchronousCallsCrossSilos() {
        this.cluster = new TallyCluster(this.environment, 2);
        Tally tally = this.cluster.silo(0).get(Tally.class, this.cluster.idOwnedBy("silo-1"));
        for (int i = 0; i < 10; i++) {
            tally.addOneWay(1);
        }
        await().atMost(TallyEnvironment.timeout()).until(() -> tally.total() == 10);
        CompletableFuture<Long> sum = tally.addAsync(5);
        assertThat(sum).succeedsWithin(TallyEnvironment.timeout()).isEqualTo(15L);
    }

    @Test
    void oneWayCallsFromOneCallerRunInTheOrderSent() {
        this.cluster = new TallyCluster(this.environment, 2);
        String id = this.cluster.idOwnedBy("silo-1");
        Tally tally = this.cluster.silo(0).get(Tally.class, id);
        tally.add(1);
        for (int i = 0; i < 200; i++) {
            tally.addOneWay(1);
            tally.addOneWay(-1);
            tally.addOneWay(1);
        }
        await().atMost(TallyEnvironment.timeout()).until(() -> tally.total() == 201);
    }

    @Test
    void callWhoseDeadlinePassesWhileItWaitsOnAnotherSiloIsNotRun() {
        this.cluster = new TallyCluster(this.environment, 2, (runtime) -> runtime.callTimeout(Duration.ofSeconds(2)),
                (routing) -> {
                });
        String id = this.cluster.idOwnedBy("silo-1");
        Tally tally = this.cluster.silo(0).get(Tally.class, id);
        assertThat(tally.where()).isEqualTo("silo-1");
        CompletableFuture<String> held = CompletableFuture.supplyAsync(() -> tally.hold("busy"));
        await().atMost(TallyEnvironment.timeout()).until(() -> this.environment.reached("busy"));
        assertThatExceptionOfType(ActorCallTimeoutException.class).isThrownBy(() -> tally.add(1))
            .withMessageContaining("Tally/" + id + ".add()");
        this.environment.open("busy");
        assertThat(held).failsWithin(TallyEnvironment.timeout());
        assertThat(this.cluster.silo(1).get(Tally.class, id).total()).isZero();
    }

    @Test
    void callersOfAKilledSiloFailPromptlyOnceItIsDeclaredDead() {
        this.cluster = new TallyCluster(this.environment, 3);
        String id = this.cluster.idOwnedBy("silo-2");
        Tally tally = this.cluster.silo(0).get(Tally.class, id);
        CompletableFuture<String> waiting = CompletableFuture.supplyAsync(() -> tally.hold("never"));
        await().atMost(TallyEnvironment.timeout()).until(() -> this.environment.reached("never"));
        this.cluster.cluster().killSilo(2);
        assertThat(waiting).isNotDone();
        long declared = System.nanoTime();
        this.cluster.cluster().declareDead(2);
        assertThat(waiting).failsWithin(Duration.ofSeconds(2))
            .withThrowableOfType(ExecutionException.class)
            .havingCause()
            .isInstanceOf(SiloUnavailableException.class)
            .withMessageContaining("silo-2")
            .withMessageContaining("declared dead");
        assertThat(Duration.ofNanos(System.nanoTime() - declared)).isLessThan(Duration.ofSeconds(2));
        assertThat(this.cluster.ownerOf(id)).isNotEqualTo("silo-2");
        assertThat(tally.where()).isEqualTo(this.cluster.ownerOf(id));
    }

    @Test
    void callToAKilledSiloThatIsStillAMemberFailsAsUnreachable() {
        this.cluster = new TallyCluster(this.environment, 2);
        Tally tally = this.cluster.silo(0).get(Tally.class, this.cluster.idOwnedBy("silo-1"));
        this.cluster.cluster().killSilo(1);
        assertThatExceptionOfType(SiloUnavailableException.class).isThrownBy(tally::total)
            .withMessageContaining("silo-1")
            .withMessageContaining("nobody listens");
    }

    @Test
    void cutLinkFailsTheCallClearlyUntilItHeals() {
        this.cluster = new TallyCluster(this.environment, 2);
        String id = this.cluster.idOwnedBy("silo-1");
        Tally tally = this.cluster.silo(0).get(Tally.class, id);
        this.cluster.cluster().network().cut("silo-0", "silo-1");
        assertThatExceptionOfType(SiloUnavailableException.class).isThrownBy(() -> tally.add(1))
            .withMessageContaining("Tally/" + id + ".add()")
            .withMessageContaining("silo-1")
            .withMessageContaining("cut");
        this.cluster.cluster().network().heal("silo-0", "silo-1");
        assertThat(tally.add(1)).isEqualTo(1);
    }
}
