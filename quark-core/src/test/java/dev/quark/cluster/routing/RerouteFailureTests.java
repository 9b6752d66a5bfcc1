package dev.quark.cluster.routing;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import dev.quark.actor.AbstractActor;
import dev.quark.actor.Actor;
import dev.quark.actor.QuarkActor;
import dev.quark.cluster.SiloUnavailableException;
import dev.quark.cluster.membership.ClusterView;
import dev.quark.cluster.membership.MembershipSnapshot;
import dev.quark.cluster.membership.SiloAddress;
import dev.quark.cluster.membership.SiloEntry;
import dev.quark.cluster.membership.SiloStatus;
import dev.quark.cluster.placement.HashPlacementDirector;
import dev.quark.cluster.transport.Envelope;
import dev.quark.cluster.transport.ForwardingTransport;
import dev.quark.cluster.transport.Transport;
import dev.quark.cluster.transport.grpc.EnvelopeRejectedException;
import dev.quark.cluster.transport.grpc.HandshakeRefusedException;
import dev.quark.cluster.transport.grpc.LinkBrokenException;
import dev.quark.cluster.transport.grpc.PeerOverloadedException;
import dev.quark.cluster.transport.SiloUnreachableException;
import dev.quark.cluster.transport.injvm.InJvmNetwork;
import dev.quark.cluster.transport.jackson.JacksonPayloadCodec;
import dev.quark.runtime.ActorAddress;
import dev.quark.runtime.ActorRuntime;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * How a call routed again after a refusal or a failed send ends when something goes wrong on the way: a wait
 * for the refusing silo's membership version that times out while the view moved on routes the call with the view
 * there is and gives it its real outcome (it runs once); a transport that throws instead of failing its stage
 * fails the call instead of leaving it waiting; a send that fails for back-pressure, an envelope too large or a
 * refused handshake fails at once, without being routed again; a call another silo passed on and could not hand over
 * to the owner is refused as not run and routed again by its caller.
 */
class RerouteFailureTests {

    private static final Map<String, AtomicInteger> RUNS = new ConcurrentHashMap<>();

    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(30);

    private final InJvmNetwork network = new InJvmNetwork();

    private final List<ActorRuntime> runtimes = new ArrayList<>();

    private final List<SiloRouting> routings = new ArrayList<>();

    private final List<SiloEntry> entries = new ArrayList<>();

    private final ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor();

    /** The gauge the caller calls in the tests of failed sends. */
    private @Nullable String gaugeId;

    /** What the caller's transport does with a request to an address, instead of sending it; null sends it. */
    private final Map<SiloAddress, Function<Envelope, CompletionStage<Void>>> faults = new ConcurrentHashMap<>();

    /** As {@link #faults}, for silo-2's transport (the silo that passes calls on in the forwarding test). */
    private final Map<SiloAddress, Function<Envelope, CompletionStage<Void>>> forwarderFaults =
            new ConcurrentHashMap<>();

    /** What the caller's transport runs when its routing closes it, before it closes. */
    private final List<Runnable> whileTheCallerCloses = new CopyOnWriteArrayList<>();

    @AfterEach
    void close() {
        this.callers.shutdownNow();
        this.routings.forEach(SiloRouting::close);
        this.runtimes.forEach(ActorRuntime::close);
        this.network.close();
    }

    @Test
    void aRefusedCallWhoseCatchUpTimesOutAfterTheViewMovedOnRunsOnceWithItsRealOutcome() {
        startSilos();
        ClusterView before = view(1, SiloStatus.ACTIVE);
        ClusterView leaving = view(2, SiloStatus.SHUTTING_DOWN);
        ClusterView refusersView = view(3, SiloStatus.SHUTTING_DOWN);
        String id = idOwnedBy("silo-1", before, "silo-2", leaving);
        // The caller reads version 2 when asked to catch up with the refuser's 3, and never 3: its wait times out.
        ReadingViewSource caller = new ReadingViewSource(before, leaving);
        this.routings.get(0).follow(caller);
        this.routings.get(1).follow(HeldViewSource.of(refusersView));
        this.routings.get(2).follow(HeldViewSource.of(leaving));

        CompletableFuture<String> where = CompletableFuture
            .supplyAsync(() -> this.runtimes.get(0).get(Gauge.class, id).where(), this.callers);

        assertThat(where).succeedsWithin(CALL_TIMEOUT).isEqualTo("silo-2");
        assertThat(caller.refreshesAskedFor).as("asked to catch up with the refuser's version").contains(3L);
        assertThat(runs("silo-1", id)).as("refused by the leaver").isZero();
        assertThat(runs("silo-2", id)).isEqualTo(1);
    }

    @Test
    void aCallRoutedAgainToASiloWhoseTransportSendThrowsFailsWithThatFailureInsteadOfWaiting() {
        startSilos();
        ClusterView before = view(1, SiloStatus.ACTIVE);
        ClusterView leaving = view(2, SiloStatus.SHUTTING_DOWN);
        String id = idOwnedBy("silo-1", before, "silo-2", leaving);
        this.faults.put(address(1), (envelope) -> CompletableFuture
            .failedFuture(new SiloUnreachableException("nobody listens at silo-1")));
        this.faults.put(address(2), (envelope) -> {
            throw new IllegalStateException("the transport threw on a send to silo-2");
        });
        ReadingViewSource caller = new ReadingViewSource(before, leaving);
        this.routings.get(0).follow(caller);
        this.routings.get(1).follow(HeldViewSource.of(leaving));
        this.routings.get(2).follow(HeldViewSource.of(leaving));

        CompletableFuture<String> where = CompletableFuture
            .supplyAsync(() -> this.runtimes.get(0).get(Gauge.class, id).where(), this.callers);

        assertThat(where).as("failed well before the call's deadline").failsWithin(CALL_TIMEOUT.dividedBy(2))
            .withThrowableThat()
            .havingRootCause()
            .withMessageContaining("the transport threw on a send to silo-2");
        assertThat(runs("silo-1", id) + runs("silo-2", id)).isZero();
    }

    /**
     * A call the caller sent to silo-2, which passes it on to silo-1 (the owner in its newer view), where silo-2's
     * transport cannot hand it over (silo-1's link down, its transport closed as it left): it ran nowhere, so silo-2
     * refuses it as not run, and the caller routes it again once its view moved on (silo-1 dead, silo-2 the owner
     * again), instead of failing with silo-2's "cannot pass ... on".
     */
    @Test
    void aCallThatAnotherSiloCouldNotHandOverToTheOwnerIsRoutedAgainByItsCaller() {
        startSilos();
        ClusterView before = view(1, SiloStatus.SHUTTING_DOWN);
        ClusterView rejoined = view(2, SiloStatus.ACTIVE);
        ClusterView dead = view(3, SiloStatus.DEAD);
        String id = idOwnedBy("silo-2", before, "silo-1", rejoined);
        this.forwarderFaults.put(address(1), (envelope) -> CompletableFuture
            .failedFuture(new SiloUnreachableException("nobody listens at silo-1")));
        ReadingViewSource caller = new ReadingViewSource(before, dead);
        this.routings.get(0).follow(caller);
        this.routings.get(1).follow(HeldViewSource.of(rejoined));
        this.routings.get(2).follow(new ReadingViewSource(rejoined, dead));

        CompletableFuture<String> where = CompletableFuture
            .supplyAsync(() -> this.runtimes.get(0).get(Gauge.class, id).where(), this.callers);

        assertThat(where).succeedsWithin(CALL_TIMEOUT).isEqualTo("silo-2");
        assertThat(caller.refreshesAskedFor).as("asked to catch up with the forwarder's version").contains(2L);
        assertThat(runs("silo-1", id)).isZero();
        assertThat(runs("silo-2", id)).as("run once, by the owner in the caller's newer view").isEqualTo(1);
    }

    /**
     * A call passed on by silo-2 to silo-1, which refuses it unrun with a newer view (it is leaving there): silo-2
     * passes the refusal back with silo-1's membership version, not its own older one, so that the caller catches up
     * with the view that refused the call before it routes it again.
     */
    @Test
    void aRefusalPassedBackCarriesTheMembershipVersionOfTheSiloThatRefused() {
        startSilos();
        ClusterView before = view(1, SiloStatus.SHUTTING_DOWN);
        ClusterView rejoined = view(2, SiloStatus.ACTIVE);
        ClusterView leaving = view(3, SiloStatus.SHUTTING_DOWN);
        String id = idOwnedBy("silo-2", before, "silo-1", rejoined);
        ReadingViewSource caller = new ReadingViewSource(before, leaving);
        this.routings.get(0).follow(caller);
        this.routings.get(1).follow(HeldViewSource.of(leaving));
        this.routings.get(2).follow(new ReadingViewSource(rejoined, leaving));

        CompletableFuture<String> where = CompletableFuture
            .supplyAsync(() -> this.runtimes.get(0).get(Gauge.class, id).where(), this.callers);

        assertThat(where).succeedsWithin(CALL_TIMEOUT).isEqualTo("silo-2");
        assertThat(caller.refreshesAskedFor).as("asked to catch up with the refuser's version, not the forwarder's")
            .contains(3L)
            .doesNotContain(2L);
        assertThat(runs("silo-1", id)).isZero();
        assertThat(runs("silo-2", id)).isEqualTo(1);
    }

    /**
     * A call whose send fails while the caller's routing closes (as the gRPC transport refuses the requests sent
     * while it writes out what its links hold after a goodbye) ran nowhere and is not routed again: it fails at once
     * saying so, not after waiting out the catch-up wait for a view that no longer moves, nor as one that may have
     * run.
     */
    @Test
    void aCallNotHandedOverWhileTheRoutingClosesFailsAtOnceAsNotRoutedAgain() {
        startSilos();
        ClusterView view = view(1, SiloStatus.ACTIVE);
        String id = idOwnedBy("silo-1", view, "silo-1", view);
        this.faults.put(address(1), (envelope) -> CompletableFuture
            .failedFuture(new SiloUnreachableException("silo-0's transport is closing")));
        this.routings.forEach((routing) -> routing.follow(HeldViewSource.of(view)));
        AtomicReference<@Nullable Throwable> failure = new AtomicReference<>();
        AtomicLong tookNanos = new AtomicLong();
        this.whileTheCallerCloses.add(() -> {
            long start = System.nanoTime();
            try {
                this.runtimes.get(0).get(Gauge.class, id).where();
            }
            catch (RuntimeException ex) {
                failure.set(ex);
            }
            tookNanos.set(System.nanoTime() - start);
        });

        this.routings.get(0).close();

        assertThat(failure.get()).isInstanceOf(SiloUnavailableException.class)
            .hasMessageContaining("silo-0's transport is closing; not routed again: the routing closed")
            .hasMessageNotContaining("may or may not");
        assertThat(Duration.ofNanos(tookNanos.get())).as("failed without the catch-up wait")
            .isLessThan(ClusterRouter.DEFAULT_CATCH_UP_WAIT);
        assertThat(runs("silo-1", id)).isZero();
    }

    /**
     * A call not handed over before the routing closed, waiting for a newer view to tell where else to send it,
     * stops waiting when the routing closes (no view comes any more) and fails saying so.
     */
    @Test
    void aCallWaitingForANewerViewWhenTheRoutingClosesFailsAtOnce() {
        startSilos();
        ClusterView view = view(1, SiloStatus.ACTIVE);
        String id = idOwnedBy("silo-1", view, "silo-1", view);
        this.faults.put(address(1), (envelope) -> CompletableFuture
            .failedFuture(new SiloUnreachableException("nobody listens at silo-1")));
        HeldViewSource caller = HeldViewSource.of(view);
        this.routings.get(0).follow(caller);
        this.routings.get(1).follow(HeldViewSource.of(view));
        this.routings.get(2).follow(HeldViewSource.of(view));
        CompletableFuture<String> where = CompletableFuture
            .supplyAsync(() -> this.runtimes.get(0).get(Gauge.class, id).where(), this.callers);
        await().atMost(Duration.ofSeconds(5)).until(() -> caller.refreshesAskedFor.contains(2L));

        long closing = System.nanoTime();
        this.routings.get(0).close();

        assertThat(where).failsWithin(Duration.ofSeconds(5))
            .withThrowableThat()
            .havingCause()
            .isInstanceOf(SiloUnavailableException.class)
            .withMessageContaining("nobody listens at silo-1; not routed again: the routing closed");
        assertThat(Duration.ofNanos(System.nanoTime() - closing)).as("failed without waiting out the catch-up wait")
            .isLessThan(ClusterRouter.DEFAULT_CATCH_UP_WAIT.dividedBy(2));
    }

    static Stream<RuntimeException> failuresOtherThanAnUnreachableTarget() {
        return Stream.of(new PeerOverloadedException("at most 1 envelopes in flight to silo-1"),
                new EnvelopeRejectedException("the envelope is larger than max-message-size",
                        EnvelopeRejectedException.Reason.TOO_LARGE),
                new EnvelopeRejectedException("silo-1 refused the envelope as malformed"),
                new HandshakeRefusedException("silo-1 belongs to another cluster"));
    }

    @ParameterizedTest
    @MethodSource("failuresOtherThanAnUnreachableTarget")
    void aSendThatFailsForAnotherReasonThanAnUnreachableTargetFailsAtOnceWithoutBeingRoutedAgain(
            RuntimeException failure) {
        ReadingViewSource caller = failSendsToSilo1With(failure);

        CompletableFuture<String> where = CompletableFuture
            .supplyAsync(() -> this.runtimes.get(0).get(Gauge.class, gaugeId()).where(), this.callers);

        assertThat(where).failsWithin(CALL_TIMEOUT)
            .withThrowableThat()
            .havingRootCause()
            .isSameAs(failure);
        assertThat(caller.refreshesAskedFor).as("no membership read asked for").isEmpty();
        assertThat(runs("silo-2", gaugeId())).isZero();
    }

    @Test
    void aSendThatFailsBecauseTheLinkIsBrokenIsRoutedAgainOnceTheViewMovedOn() {
        failSendsToSilo1With(new LinkBrokenException("the link from silo-0 to silo-1 is down"));

        assertThat(this.runtimes.get(0).get(Gauge.class, gaugeId()).where()).isEqualTo("silo-2");
        assertThat(runs("silo-2", gaugeId())).isEqualTo(1);
    }

    /**
     * Three silos; the caller's sends to silo-1, which owns a gauge in the caller's view, fail with a failure; the
     * caller reads a view in which silo-1 leaves and silo-2 owns the gauge when asked to read membership.
     */
    private ReadingViewSource failSendsToSilo1With(RuntimeException failure) {
        startSilos();
        ClusterView before = view(1, SiloStatus.ACTIVE);
        ClusterView leaving = view(2, SiloStatus.SHUTTING_DOWN);
        this.gaugeId = idOwnedBy("silo-1", before, "silo-2", leaving);
        this.faults.put(address(1), (envelope) -> CompletableFuture.failedFuture(failure));
        ReadingViewSource caller = new ReadingViewSource(before, leaving);
        this.routings.get(0).follow(caller);
        this.routings.get(1).follow(HeldViewSource.of(leaving));
        this.routings.get(2).follow(HeldViewSource.of(leaving));
        return caller;
    }

    private String gaugeId() {
        return Objects.requireNonNull(this.gaugeId, "the gauge is chosen by failSendsToSilo1With");
    }

    private SiloAddress address(int silo) {
        return this.entries.get(silo).address();
    }

    private static int runs(String siloId, String id) {
        AtomicInteger runs = RUNS.get(siloId + "/" + id);
        return (runs != null) ? runs.get() : 0;
    }

    private void startSilos() {
        for (int i = 0; i < 3; i++) {
            String siloId = "silo-" + i;
            Transport transport = (i == 0)
                    ? new FaultyTransport(this.network.transport(), this.faults, this.whileTheCallerCloses)
                    : (i == 2) ? new FaultyTransport(this.network.transport(), this.forwarderFaults, List.of())
                    : this.network.transport();
            SiloRouting routing = SiloRouting.builder(siloId, transport).build();
            ActorRuntime runtime = routing.configure(ActorRuntime.builder()
                .callTimeout(CALL_TIMEOUT)
                .actor(GaugeActor.class, () -> new GaugeActor(siloId))).build();
            SiloAddress address = routing.listen(runtime,
                    new JacksonPayloadCodec(JsonMapper.builder().build(), runtime, List.of()));
            this.routings.add(routing);
            this.runtimes.add(runtime);
            Instant now = Instant.now();
            this.entries.add(new SiloEntry(siloId, address, now, SiloStatus.ACTIVE, now, 1, Set.of("Gauge"), List.of()));
        }
    }

    /** A view of the three silos at a version, with silo-1 in the given status. */
    private ClusterView view(long version, SiloStatus silo1) {
        List<SiloEntry> silos = new ArrayList<>(this.entries);
        silos.set(1, silos.get(1).withStatus(silo1));
        return ClusterView.of(MembershipSnapshot.of(version, silos), 150);
    }

    private static String idOwnedBy(String owner, ClusterView view, String laterOwner, ClusterView later) {
        HashPlacementDirector placement = new HashPlacementDirector();
        return IntStream.range(0, 10_000).mapToObj((i) -> "gauge-" + System.nanoTime() + "-" + i)
            .filter((id) -> owner.equals(placement.ownerOf(new ActorAddress("Gauge", id), view))
                    && laterOwner.equals(placement.ownerOf(new ActorAddress("Gauge", id), later)))
            .findFirst()
            .orElseThrow();
    }

    private static void ran(String siloId, String id) {
        RUNS.computeIfAbsent(siloId + "/" + id, (key) -> new AtomicInteger()).incrementAndGet();
    }

    /**
     * The caller's view source: holds its first view, and installs the one it reads when asked to read membership
     * (the first time), whatever version was asked for.
     */
    private static final class ReadingViewSource extends HeldViewSource {

        private final ClusterView read;

        ReadingViewSource(ClusterView current, ClusterView read) {
            this.read = read;
            install(current);
        }

        @Override
        public void refreshIfOlderThan(long seenVersion) {
            super.refreshIfOlderThan(seenVersion);
            if (current().version() < this.read.version()) {
                install(this.read);
            }
        }
    }

    /** A silo's transport: requests to the addresses of its faults get the fault instead. */
    private static final class FaultyTransport extends ForwardingTransport {

        private final Map<SiloAddress, Function<Envelope, CompletionStage<Void>>> faults;

        private final List<Runnable> beforeClose;

        FaultyTransport(Transport transport, Map<SiloAddress, Function<Envelope, CompletionStage<Void>>> faults,
                List<Runnable> beforeClose) {
            super(transport);
            this.faults = faults;
            this.beforeClose = beforeClose;
        }

        @Override
        public void close() {
            this.beforeClose.forEach(Runnable::run);
            super.close();
        }

        @Override
        public CompletionStage<Void> send(SiloAddress target, Envelope envelope) {
            Function<Envelope, CompletionStage<Void>> fault = this.faults.get(target);
            if (fault != null && envelope.kind() == Envelope.Kind.REQUEST) {
                return fault.apply(envelope);
            }
            return super.send(target, envelope);
        }
    }

    /** An actor placed by consistent hashing that says where it runs. */
    public interface Gauge extends Actor {

        String where();
    }

    @QuarkActor
    public static class GaugeActor extends AbstractActor implements Gauge {

        private final String siloId;

        public GaugeActor(String siloId) {
            this.siloId = siloId;
        }

        @Override
        public String where() {
            ran(this.siloId, actorId());
            return this.siloId;
        }
    }
}
