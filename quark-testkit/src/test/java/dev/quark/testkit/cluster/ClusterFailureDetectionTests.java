package dev.quark.testkit.cluster;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.stream.IntStream;

import dev.quark.cluster.SiloUnavailableException;
import dev.quark.cluster.membership.SiloStatus;
import dev.quark.cluster.transport.injvm.InJvmNetwork;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.awaitility.Awaitility.await;

/**
 * A test cluster whose silos run membership agents that probe each other over the in-JVM transport: a killed
 * silo is voted dead by its peers, its callers learn it at once, and its actors come back on the survivors
 * with what they saved; a paused silo stops serving by itself and rejoins once resumed.
 */
class ClusterFailureDetectionTests {

    private final TallyEnvironment environment = new TallyEnvironment();

    @AutoClose
    private TallyCluster cluster;

    @BeforeEach
    void start() {
        this.cluster = new TallyCluster(this.environment, TallyCluster.builder(this.environment, 3, (runtime) -> {
        }).failureDetection((settings) -> settings.probeInterval(Duration.ofMillis(200))
            .probeTimeout(Duration.ofMillis(200))
            .tableRefreshInterval(Duration.ofMillis(500))));
    }

    @Test
    void killedSiloIsVotedDeadAndItsWaitingCallersFailWithoutAnyoneDeclaringIt() {
        String id = this.cluster.idOwnedBy("silo-2");
        Tally tally = this.cluster.silo(0).get(Tally.class, id);
        assertThat(tally.add(5)).isEqualTo(5);
        CompletableFuture<String> waiting = CompletableFuture.supplyAsync(() -> tally.hold("never"));
        await().atMost(TallyEnvironment.timeout()).until(() -> this.environment.reached("never"));
        this.cluster.cluster().killSilo(2);
        assertThat(waiting).failsWithin(TallyEnvironment.timeout())
            .withThrowableOfType(ExecutionException.class)
            .havingCause()
            .isInstanceOf(SiloUnavailableException.class)
            .withMessageContaining("silo-2")
            .withMessageContaining("declared dead");
        assertThat(this.cluster.cluster().membership().read().silo("silo-2").orElseThrow().status())
            .isEqualTo(SiloStatus.DEAD);
        assertThat(tally.where()).isIn("silo-0", "silo-1");
    }

    @Test
    void silosWithAgentsServeCallsAndHandActorsOverWhenOneLeaves() {
        List<String> ids = IntStream.range(0, 60).mapToObj((i) -> "tally-" + i).toList();
        ids.forEach((id) -> this.cluster.silo(0).get(Tally.class, id).add(1));
        this.cluster.cluster().stopSilo(1);
        this.cluster.addSilo();
        for (String id : ids) {
            assertThat(this.cluster.silo(2).get(Tally.class, id).add(1)).as(id).isEqualTo(2);
        }
        assertThat(this.environment.duplicates()).isEmpty();
        assertThat(this.cluster.cluster().membership().read().silo("silo-1").orElseThrow().status())
            .isEqualTo(SiloStatus.DEAD);
    }

    @Test
    void pausedSiloStopsServingIsVotedDeadAndOnceResumedRejoinsWithANewEpoch() {
        String id = this.cluster.idOwnedBy("silo-2");
        Tally tally = this.cluster.silo(0).get(Tally.class, id);
        assertThat(tally.add(5)).isEqualTo(5);
        TestSilo paused = this.cluster.cluster().silo(2);
        long epoch = paused.epoch();

        this.cluster.cluster().pauseSilo(2);
        await().atMost(TallyEnvironment.timeout()).until(() -> !paused.views().isServing());
        await().atMost(TallyEnvironment.timeout()).until(() -> statusOf("silo-2") == SiloStatus.DEAD);
        String survivor = tally.where();
        assertThat(survivor).as("activated anew on a survivor").isIn("silo-0", "silo-1");
        assertThat(paused.epoch()).as("it cannot know it was voted dead while paused").isEqualTo(epoch);

        this.cluster.cluster().resumeSilo(2);
        await().atMost(TallyEnvironment.timeout()).until(() -> paused.epoch() > epoch
                && statusOf("silo-2") == SiloStatus.ACTIVE && paused.views().isServing());
        assertThat(this.cluster.cluster().membership().read().silo("silo-2").orElseThrow().epoch())
            .isEqualTo(paused.epoch());
        await().atMost(TallyEnvironment.timeout()).until(() -> tally.where().equals("silo-2"));
        // The paused silo held its activation, frozen, until it resumed and learnt it was voted dead.
        assertThat(this.environment.duplicates()).as("only the survivor's beside the paused one's")
            .containsExactly(id + " on " + survivor + " while 1 other activation(s) were alive");
    }

    /**
     * Only a silo with a membership agent can be paused; one on a transport of the test's own is paused by holding
     * its envelopes ({@code PausableTransport}, exercised over gRPC by {@code GrpcClusterChurnTests}) rather than
     * refused.
     */
    @Test
    void onlySilosWithAgentsCanBePausedAlsoOnATransportOfTheTestsOwn() {
        try (TestCluster withoutAgents = TestCluster.builder().silos(1).build()) {
            assertThatIllegalStateException().isThrownBy(() -> withoutAgents.pauseSilo(0))
                .withMessageContaining("silo-0")
                .withMessageContaining("failureDetection()");
        }
        InJvmNetwork own = new InJvmNetwork();
        try (TestCluster onOwnTransport = TestCluster.builder()
            .silos(1)
            .failureDetection()
            .transport((siloId) -> own.transport())
            .build()) {
            onOwnTransport.pauseSilo(0);
            onOwnTransport.resumeSilo(0);
            assertThat(onOwnTransport.silo(0).isRunning()).isTrue();
        }
        finally {
            own.close();
        }
    }

    private SiloStatus statusOf(String siloId) {
        return this.cluster.cluster().membership().read().silo(siloId).orElseThrow().status();
    }
}
