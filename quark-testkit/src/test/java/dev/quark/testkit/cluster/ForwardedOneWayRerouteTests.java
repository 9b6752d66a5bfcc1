package dev.quark.testkit.cluster;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.function.UnaryOperator;

import dev.quark.cluster.SiloUnavailableException;
import dev.quark.cluster.membership.SiloAddress;
import dev.quark.cluster.membership.SiloStatus;
import dev.quark.cluster.transport.grpc.GrpcTransport;
import dev.quark.cluster.transport.grpc.GrpcTransportSettings;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A one-way call that a silo passes on to the actor's owner in its view, and that its transport cannot hand over
 * there (so it ran nowhere), is routed again by that silo with its own view, read again when it has learnt nothing
 * since: the one-way call has no answer that could send it back to its caller. It is dropped, logged and counted as
 * failed, only when no silo can take it.
 * <p>
 * Four silos: silo-0 keeps the view from before silo-3 joined, in which silo-1 owns the tally; silo-1, which passes
 * the call on, keeps the view in which silo-3 owns it, and silo-3 leaves (its transport closes) or is cut off from
 * silo-1. Over the in-JVM transport, and over gRPC.
 */
class ForwardedOneWayRerouteTests {

    /**
     * How long a stop waits at most: a silo that leaves while others hold their views waits half of it for the
     * confirmations of its leave they never send.
     */
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(2);

    private final TallyEnvironment environment = new TallyEnvironment();

    private final RecordedRoutingMetrics metrics = new RecordedRoutingMetrics();

    /** The silos that could not be reached, once for every call routed again. */
    private final List<String> rerouted = this.metrics.rerouted();

    /** The calls failed for membership reasons, one-way calls a silo dropped included. */
    private final List<Throwable> failed = this.metrics.failed();

    @AutoClose
    private TallyCluster cluster;

    /** silo-1's transport in the gRPC test. */
    private @Nullable GrpcTransport forwarderTransport;

    @Test
    void oneWayCallThatTheSiloPassingItOnCannotHandOverToTheOwnerThatLeftIsRoutedAgainByThatSiloAndRunsOnce() {
        String id = staleCallerAndForwarderFor(UnaryOperator.identity());
        this.cluster.cluster().stopSilo(3);
        assertThat(this.cluster.cluster().network().silos()).doesNotContain("silo-3");

        assertRoutedAgainByTheForwarderAndRunOnce(id);
    }

    @Test
    void overGrpcAOneWayCallThatTheSiloPassingItOnCannotHandOverToTheOwnerThatLeftIsRoutedAgainByThatSilo() {
        GrpcTransportSettings settings = GrpcTransportSettings.builder("forwarded-one-way").build();
        String id = staleCallerAndForwarderFor((builder) -> builder.transport((siloId) -> {
            GrpcTransport transport = GrpcTransport.selfHosted(settings, new InetSocketAddress("127.0.0.1", 0), null);
            if (siloId.equals("silo-1")) {
                this.forwarderTransport = transport;
            }
            return transport;
        }));
        SiloAddress leaver = this.cluster.silo(3).address();
        this.cluster.cluster().stopSilo(3);
        // silo-1 may still hold a stream the leaver closed without having learnt it: a one-way call written there is
        // handed over, and lost with the stream (not routed again: it may have arrived). Closing silo-1's links to
        // the leaver makes the call open a new one, which the gone server refuses before anything is written.
        Objects.requireNonNull(this.forwarderTransport).disconnect(leaver);

        assertRoutedAgainByTheForwarderAndRunOnce(id);
    }

    /**
     * Sends a one-way call from silo-0, which silo-1 passes on to silo-3, gone by now, and checks that silo-1 routed
     * it again and that it ran once.
     */
    private void assertRoutedAgainByTheForwarderAndRunOnce(String id) {
        assertThat(this.cluster.ownerOf(id, this.cluster.silo(1))).as("the forwarder's owner").isEqualTo("silo-3");

        this.cluster.silo(0).get(Tally.class, id).addOneWay(2);

        // Nothing is sent to silo-1 before the one-way call has reached it: a call from a silo with a newer view
        // would make it read membership first (over gRPC, a call on another silo's stream can arrive first).
        await().atMost(TallyEnvironment.timeout()).until(() -> this.environment.activations(id) == 1);
        Tally fresh = this.cluster.silo(2).get(Tally.class, id);
        await().atMost(TallyEnvironment.timeout()).until(() -> fresh.total() == 2);
        assertThat(this.rerouted).as("routed again by the forwarder").containsExactly("silo-3");
        assertThat(this.failed).isEmpty();
        assertThat(this.cluster.silo(1).routing().view().version()).as("the forwarder read membership again")
            .isEqualTo(this.cluster.silo(2).routing().view().version());
        assertThat(this.environment.activations(id)).isEqualTo(1);
        assertThat(this.environment.duplicates()).isEmpty();
        assertThat(fresh.total()).as("run once").isEqualTo(2);
    }

    @Test
    void oneWayCallThatTheSiloPassingItOnCannotHandOverToAnOwnerStillActiveInAViewThatDidNotMoveIsDropped() {
        String id = staleCallerAndForwarderFor(UnaryOperator.identity());
        this.cluster.cluster().network().cut("silo-1", "silo-3");

        this.cluster.silo(0).get(Tally.class, id).addOneWay(2);

        await().atMost(TallyEnvironment.timeout()).until(() -> !this.failed.isEmpty());
        assertThat(this.failed).singleElement()
            .isInstanceOf(SiloUnavailableException.class)
            .satisfies((failure) -> assertThat(failure.getMessage()).contains("cannot pass")
                .contains("the link between them is cut")
                .contains("not routed again: silo silo-3 is still active"));
        assertThat(this.rerouted).isEmpty();
        assertThat(this.environment.activations(id)).as("run nowhere").isZero();
    }

    @Test
    void oneWayCallThatTheSiloPassingItOnRoutesAgainWithANewerViewThatStillNamesTheSameOwnerIsDroppedAndNotCountedAsRerouted() {
        this.cluster = new TallyCluster(this.environment, TallyCluster.builder(this.environment, 3, (runtime) -> {
        }).routing((routing) -> routing.metrics(this.metrics)).stopTimeout(STOP_TIMEOUT));
        TestSilo stale = this.cluster.silo(0);
        stale.holdViews();
        this.cluster.addSilo();
        TestSilo forwarder = this.cluster.silo(1);
        await().atMost(TallyEnvironment.timeout()).until(() -> isActiveIn(forwarder, "silo-3"));
        forwarder.holdViews();
        long heldVersion = forwarder.routing().view().version();
        // The table moves on (silo-4 joins) while the forwarder holds its view: it learns of it only when it reads
        // membership again, after the owner it passed the call on to could not be reached.
        this.cluster.addSilo();
        TestSilo current = this.cluster.silo(2);
        await().atMost(TallyEnvironment.timeout()).until(() -> isActiveIn(current, "silo-4"));
        String id = TallyCluster.idWhere((candidate) -> this.cluster.ownerOf(candidate, stale).equals("silo-1")
                && this.cluster.ownerOf(candidate, forwarder).equals("silo-3")
                && this.cluster.ownerOf(candidate, current).equals("silo-3"));
        this.cluster.cluster().network().cut("silo-1", "silo-3");

        this.cluster.silo(0).get(Tally.class, id).addOneWay(2);

        await().atMost(TallyEnvironment.timeout()).until(() -> !this.failed.isEmpty());
        assertThat(forwarder.routing().view().version()).as("the forwarder read membership again")
            .isGreaterThan(heldVersion);
        assertThat(this.failed).singleElement()
            .isInstanceOf(SiloUnavailableException.class)
            .satisfies((failure) -> assertThat(failure.getMessage()).contains("still routes it to silo silo-3"));
        assertThat(this.rerouted).as("dropped, not routed again").isEmpty();
        assertThat(forwarder.routing().awaitIdle(Duration.ofSeconds(2))).as("nothing left in progress").isTrue();
        assertThat(this.environment.activations(id)).as("run nowhere").isZero();
    }

    private static boolean isActiveIn(TestSilo silo, String siloId) {
        return silo.routing().view().silo(siloId).filter((entry) -> entry.status() == SiloStatus.ACTIVE).isPresent();
    }

    /**
     * Starts the cluster and returns a tally that silo-0 (which keeps its view from before silo-3 joined) sends to
     * silo-1, and that silo-1 (which keeps its view from after) passes on to silo-3.
     * @param settings more settings of the cluster (its transports)
     */
    private String staleCallerAndForwarderFor(UnaryOperator<TestCluster.Builder> settings) {
        this.cluster = new TallyCluster(this.environment,
                settings.apply(TallyCluster.builder(this.environment, 3, (runtime) -> {
                }).routing((routing) -> routing.metrics(this.metrics)).stopTimeout(STOP_TIMEOUT)));
        TestSilo stale = this.cluster.silo(0);
        stale.holdViews();
        this.cluster.addSilo();
        TestSilo forwarder = this.cluster.silo(1);
        await().atMost(TallyEnvironment.timeout()).until(() -> forwarder.routing().view().silo("silo-3")
            .filter((entry) -> entry.status() == SiloStatus.ACTIVE)
            .isPresent());
        forwarder.holdViews();
        return TallyCluster.idWhere((candidate) -> this.cluster.ownerOf(candidate, stale).equals("silo-1")
                && this.cluster.ownerOf(candidate, forwarder).equals("silo-3"));
    }
}
