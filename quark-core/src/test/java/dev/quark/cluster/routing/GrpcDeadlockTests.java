package dev.quark.cluster.routing;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.IntStream;

import dev.quark.actor.AbstractActor;
import dev.quark.actor.Actor;
import dev.quark.actor.DeadlockException;
import dev.quark.actor.QuarkActor;
import dev.quark.cluster.membership.ClusterView;
import dev.quark.cluster.membership.MembershipSnapshot;
import dev.quark.cluster.membership.SiloAddress;
import dev.quark.cluster.membership.SiloEntry;
import dev.quark.cluster.membership.SiloStatus;
import dev.quark.cluster.placement.HashPlacementDirector;
import dev.quark.cluster.transport.grpc.GrpcTransport;
import dev.quark.cluster.transport.grpc.GrpcTransportSettings;
import dev.quark.cluster.transport.jackson.JacksonPayloadCodec;
import dev.quark.runtime.ActorAddress;
import dev.quark.runtime.ActorRuntime;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Deadlock detection across two silos that talk over the gRPC transport: the probes and the victim travel as
 * notices over real streams.
 */
class GrpcDeadlockTests {

    private static final Map<String, CyclicBarrier> MEETINGS = new ConcurrentHashMap<>();

    /** When the turns of each meeting met: from then on they wait on each other. */
    private static final Map<String, Long> MET = new ConcurrentHashMap<>();

    private final List<ActorRuntime> runtimes = new ArrayList<>();

    private final List<SiloRouting> routings = new ArrayList<>();

    private final List<GrpcTransport> transports = new ArrayList<>();

    @AfterEach
    void close() {
        this.routings.forEach(SiloRouting::close);
        this.runtimes.forEach(ActorRuntime::close);
        this.transports.forEach(GrpcTransport::close);
    }

    @Test
    void cycleBetweenTwoSilosOverGrpcFailsOneChainWithDeadlockException() {
        ClusterView view = startSilos(2);
        String x = idOwnedBy("silo-0", view);
        String y = idOwnedBy("silo-1", view);
        String meeting = "grpc-" + System.nanoTime();
        for (ActorRuntime runtime : this.runtimes) {
            // Opens the links both ways before the cycle, so that the time measured is the detection's.
            assertThat(runtime.get(Knot.class, x).where()).isEqualTo("silo-0");
            assertThat(runtime.get(Knot.class, y).where()).isEqualTo("silo-1");
        }
        CompletableFuture<String> first = CompletableFuture
            .supplyAsync(() -> this.runtimes.get(1).get(Knot.class, x).meetThenCall(y, meeting));
        CompletableFuture<String> second = CompletableFuture
            .supplyAsync(() -> this.runtimes.get(0).get(Knot.class, y).meetThenCall(x, meeting));
        CompletableFuture.allOf(first.exceptionally((failure) -> null), second.exceptionally((failure) -> null))
            .join();
        Duration took = Duration.ofNanos(System.nanoTime() - MET.get(meeting));
        List<Throwable> failures = new ArrayList<>();
        List<String> results = new ArrayList<>();
        for (CompletableFuture<String> chain : List.of(first, second)) {
            chain.handle((result, failure) -> (failure != null)
                    ? failures.add((failure instanceof CompletionException) ? failure.getCause() : failure)
                    : results.add(result)).join();
        }
        assertThat(failures).hasSize(1);
        assertThat(failures.getFirst()).isInstanceOf(DeadlockException.class)
            .hasMessageContaining("holds Knot/" + x + " and waits for Knot/" + y + ".where()")
            .hasMessageContaining("holds Knot/" + y + " and waits for Knot/" + x + ".where()");
        assertThat(((DeadlockException) failures.getFirst()).getActors())
            .containsExactlyInAnyOrder("Knot/" + x, "Knot/" + y);
        assertThat(results).hasSize(1);
        assertThat(took).as("broken well before the call timeout").isLessThan(Duration.ofSeconds(5));
    }

    private ClusterView startSilos(int count) {
        List<SiloEntry> entries = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String siloId = "silo-" + i;
            GrpcTransport transport = GrpcTransport.selfHosted(GrpcTransportSettings.builder("knots").build(),
                    new InetSocketAddress("127.0.0.1", 0), null);
            this.transports.add(transport);
            SiloRouting routing = SiloRouting.builder(siloId, transport).build();
            ActorRuntime[] self = new ActorRuntime[1];
            ActorRuntime runtime = routing.configure(ActorRuntime.builder()
                .callTimeout(Duration.ofSeconds(20))
                .actor(KnotActor.class, () -> new KnotActor(siloId, () -> self[0]))).build();
            self[0] = runtime;
            SiloAddress address = routing.listen(runtime,
                    new JacksonPayloadCodec(JsonMapper.builder().build(), runtime, List.of()));
            this.routings.add(routing);
            this.runtimes.add(runtime);
            Instant now = Instant.now();
            entries.add(new SiloEntry(siloId, address, now, SiloStatus.ACTIVE, now, 1, Set.of("Knot"), List.of()));
        }
        ClusterView view = ClusterView.of(MembershipSnapshot.of(1, entries), 150);
        this.routings.forEach((routing) -> routing.follow(HeldViewSource.of(view)));
        return view;
    }

    private static String idOwnedBy(String siloId, ClusterView view) {
        return IntStream.range(0, 10_000).mapToObj((i) -> "knot-" + i)
            .filter((id) -> siloId.equals(new HashPlacementDirector().ownerOf(new ActorAddress("Knot", id), view)))
            .findFirst()
            .orElseThrow();
    }

    /** Knots that call each other. */
    public interface Knot extends Actor {

        /** Waits until two turns met, then calls {@code where()} on another knot. */
        String meetThenCall(String otherId, String meeting);

        String where();
    }

    @QuarkActor
    public static class KnotActor extends AbstractActor implements Knot {

        private final String siloId;

        private final java.util.function.Supplier<ActorRuntime> runtime;

        public KnotActor(String siloId, java.util.function.Supplier<ActorRuntime> runtime) {
            this.siloId = siloId;
            this.runtime = runtime;
        }

        @Override
        public String meetThenCall(String otherId, String meeting) {
            try {
                MEETINGS.computeIfAbsent(meeting,
                        (key) -> new CyclicBarrier(2, () -> MET.put(meeting, System.nanoTime())))
                    .await(30, TimeUnit.SECONDS);
            }
            catch (InterruptedException | BrokenBarrierException | TimeoutException ex) {
                throw new IllegalStateException(ex);
            }
            return actorId() + " -> " + this.runtime.get().get(Knot.class, otherId).where();
        }

        @Override
        public String where() {
            return this.siloId;
        }
    }
}
