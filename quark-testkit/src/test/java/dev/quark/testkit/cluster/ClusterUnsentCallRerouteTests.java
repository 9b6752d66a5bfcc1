package dev.quark.testkit.cluster;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;

import dev.quark.cluster.SiloUnavailableException;
import dev.quark.cluster.membership.SiloAddress;
import dev.quark.cluster.transport.Envelope;
import dev.quark.cluster.transport.ForwardingTransport;
import dev.quark.cluster.transport.Transport;
import dev.quark.cluster.transport.injvm.InJvmNetwork;
import dev.quark.testkit.ManualClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * Calls the transport could not hand over to their target (its send failed, so they were not delivered) are
 * routed again when the caller has learnt something since it sent them: the target left and closed its transport
 * while the caller's view still named it. A target still active in a view that did not move, a call whose
 * deadline passed, are not: the call fails with a {@link SiloUnavailableException} that says why.
 */
class ClusterUnsentCallRerouteTests {

    /**
     * How long a stop waits at most: a silo that leaves while another holds its views waits half of it (instead of
     * 3 s) for a confirmation of its leave that the holding silo never sends.
     */
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(2);

    private final TallyEnvironment environment = new TallyEnvironment();

    private final RecordedRoutingMetrics metrics = new RecordedRoutingMetrics();

    /** The silos that could not be reached, once for every call routed again. */
    private final List<String> rerouted = this.metrics.rerouted();

    /** The calls failed for membership reasons, one-way calls a silo dropped included. */
    private final List<Throwable> failed = this.metrics.failed();

    private TallyCluster cluster;

    private InJvmNetwork network;

    @AfterEach
    void close() {
        if (this.cluster != null) {
            this.cluster.close();
        }
        if (this.network != null) {
            this.network.close();
        }
    }

    private TallyCluster tallies(int silos) {
        return new TallyCluster(this.environment, TallyCluster.builder(this.environment, silos, (runtime) -> {
        }).routing((routing) -> routing.metrics(this.metrics)).stopTimeout(STOP_TIMEOUT));
    }

    @Test
    void callToASiloThatLeftAndClosedItsTransportWhileTheCallersViewStillNamedItIsRoutedAgainAndRunsOnce() {
        this.cluster = tallies(3);
        TestSilo stale = this.cluster.silo(0);
        String id = this.cluster.idOwnedBy("silo-1");
        Tally tally = stale.get(Tally.class, id);
        assertThat(tally.add(5)).isEqualTo(5);
        stale.holdViews();
        this.cluster.cluster().stopSilo(1);
        assertThat(this.cluster.ownerOf(id, stale)).as("the stale view's owner").isEqualTo("silo-1");
        assertThat(this.cluster.cluster().network().silos()).doesNotContain("silo-1");

        assertThat(tally.add(1)).isEqualTo(6);
        assertThat(this.rerouted).containsExactly("silo-1");
        assertThat(stale.routing().view().version()).as("read membership again")
            .isEqualTo(this.cluster.silo(2).routing().view().version());
        assertThat(this.environment.duplicates()).isEmpty();
        assertThat(this.cluster.silo(2).get(Tally.class, id).total()).isEqualTo(6);
    }

    @Test
    void oneWayMessageToASiloThatLeftAndClosedItsTransportIsRoutedAgain() {
        this.cluster = tallies(3);
        TestSilo stale = this.cluster.silo(0);
        String id = this.cluster.idOwnedBy("silo-1");
        assertThat(stale.get(Tally.class, id).add(5)).isEqualTo(5);
        stale.holdViews();
        this.cluster.cluster().stopSilo(1);

        stale.get(Tally.class, id).addOneWay(2);
        Tally fresh = this.cluster.silo(2).get(Tally.class, id);
        await().atMost(TallyEnvironment.timeout()).until(() -> fresh.total() == 7);
        assertThat(this.rerouted).containsExactly("silo-1");
        assertThat(this.failed).isEmpty();
        assertThat(this.environment.duplicates()).isEmpty();
    }

    @Test
    void callWhoseSendFailsToASiloStillActiveInAViewThatDidNotMoveFailsWithoutBeingRoutedAgain() {
        this.cluster = tallies(2);
        String id = this.cluster.idOwnedBy("silo-1");
        Tally tally = this.cluster.silo(0).get(Tally.class, id);
        long version = this.cluster.silo(0).routing().view().version();
        this.cluster.cluster().network().cut("silo-0", "silo-1");

        long calling = System.nanoTime();
        assertThatExceptionOfType(SiloUnavailableException.class).isThrownBy(() -> tally.add(1))
            .withMessageContaining("the link between them is cut")
            .withMessageContaining("not routed again: silo silo-1 is still active in membership version " + version
                    + ", which did not move");
        assertThat(Duration.ofNanos(System.nanoTime() - calling)).as("waited the default second for a newer view")
            .isGreaterThanOrEqualTo(Duration.ofMillis(950));
        assertThat(this.rerouted).isEmpty();
        assertThat(this.environment.activations(id)).isZero();
    }

    @Test
    void callWhoseSendFailsToASiloStillActiveInAViewThatDidNotMoveWaitsTheRoutingsCatchUpWaitForANewerView() {
        Duration catchUp = Duration.ofMillis(200);
        this.cluster = new TallyCluster(this.environment, 2, (runtime) -> {
        }, (routing) -> routing.metrics(this.metrics).catchUpWait(catchUp));
        Tally tally = this.cluster.silo(0).get(Tally.class, this.cluster.idOwnedBy("silo-1"));
        this.cluster.cluster().network().cut("silo-0", "silo-1");

        long calling = System.nanoTime();
        assertThatExceptionOfType(SiloUnavailableException.class).isThrownBy(() -> tally.add(1))
            .withMessageContaining("not routed again: silo silo-1 is still active");
        assertThat(Duration.ofNanos(System.nanoTime() - calling)).as("the wait set, not the default second")
            .isGreaterThanOrEqualTo(catchUp.minusMillis(10))
            .isLessThan(Duration.ofSeconds(1));
    }

    @Test
    void oneWayMessageWhoseSendFailsToASiloStillActiveInAViewThatDidNotMoveIsNotRoutedAgain() {
        this.cluster = tallies(2);
        String id = this.cluster.idOwnedBy("silo-1");
        this.cluster.cluster().network().cut("silo-0", "silo-1");

        this.cluster.silo(0).get(Tally.class, id).addOneWay(1);
        await().atMost(TallyEnvironment.timeout()).until(() -> !this.failed.isEmpty());
        assertThat(this.failed).singleElement()
            .isInstanceOf(SiloUnavailableException.class)
            .satisfies((failure) -> assertThat(failure.getMessage()).contains("the link between them is cut")
                .contains("not routed again: silo silo-1 is still active"));
        assertThat(this.rerouted).isEmpty();
        assertThat(this.environment.activations(id)).isZero();
    }

    @Test
    void callWhoseDeadlinePassedWhenItsSendFailedIsNotRoutedAgainPastIt() {
        ManualClock clock = new ManualClock();
        this.network = new InJvmNetwork();
        Duration callTimeout = Duration.ofSeconds(30);
        this.cluster = new TallyCluster(this.environment, TallyCluster
            .builder(this.environment, 3, (runtime) -> runtime.callTimeout(callTimeout))
            .routing((routing) -> routing.metrics(this.metrics))
            .stopTimeout(STOP_TIMEOUT)
            .clock(clock)
            .transport((siloId) -> siloId.equals("silo-0")
                    ? new LateSends(this.network.transport(), clock, callTimeout.plusSeconds(1))
                    : this.network.transport()));
        TestSilo stale = this.cluster.silo(0);
        String id = this.cluster.idOwnedBy("silo-1");
        stale.holdViews();
        this.cluster.cluster().stopSilo(1);

        assertThatExceptionOfType(SiloUnavailableException.class).isThrownBy(() -> stale.get(Tally.class, id).add(1))
            .withMessageContaining("nobody listens there")
            .withMessageContaining("not routed again: its deadline passed");
        assertThat(this.rerouted).isEmpty();
        assertThat(this.environment.activations(id)).isZero();
    }

    /**
     * A transport whose sends of calls take a while, in the test's virtual time: the clock moves on by a given
     * duration before each request is handed to the transport underneath.
     */
    private static final class LateSends extends ForwardingTransport {

        private final ManualClock clock;

        private final Duration delay;

        LateSends(Transport transport, ManualClock clock, Duration delay) {
            super(transport);
            this.clock = clock;
            this.delay = delay;
        }

        @Override
        public CompletionStage<Void> send(SiloAddress target, Envelope envelope) {
            if (envelope.kind() == Envelope.Kind.REQUEST) {
                this.clock.advance(this.delay);
            }
            return super.send(target, envelope);
        }
    }
}
