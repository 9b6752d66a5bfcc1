package dev.quark.testkit.cluster;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;

import dev.quark.cluster.membership.SiloAddress;
import dev.quark.cluster.membership.SiloStatus;
import dev.quark.cluster.ring.HashRing;
import dev.quark.cluster.ring.RingHash;
import dev.quark.cluster.transport.Envelope;
import dev.quark.cluster.transport.ForwardingTransport;
import dev.quark.cluster.transport.grpc.GrpcTransport;
import dev.quark.cluster.transport.grpc.GrpcTransportSettings;
import dev.quark.runtime.ActorAddress;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A {@code HANDOFF} whose gRPC link is closed after it was written, before its answer came: a silo that joins takes
 * over an actor whose turn runs on its previous owner, asks that silo to give it up, and its link to it is closed
 * while the previous owner waits for the turn. The new owner asks again once the link is up, instead of failing the
 * activation and the call that waits for it; the actor is never active on both silos.
 */
class GrpcHandoffLinkBreakTests {

    private static final Executor VIRTUAL_THREADS = (task) -> Thread.ofVirtual().start(task);

    private final TallyEnvironment environment = new TallyEnvironment();

    private final Map<String, GrpcTransport> transports = new ConcurrentHashMap<>();

    /** The {@code HANDOFF} envelopes silo-2 sent. */
    private final List<Envelope> handoffs = new CopyOnWriteArrayList<>();

    private TallyCluster cluster;

    @AfterEach
    void close() {
        this.environment.openAll();
        if (this.cluster != null) {
            this.cluster.close();
        }
    }

    @Test
    void aHandOffWhoseLinkIsClosedBeforeItsAnswerIsAskedAgainAndTheCallRuns() {
        GrpcTransportSettings settings = GrpcTransportSettings.builder("handoff-link-break").build();
        TestCluster.Builder builder = TallyCluster
            .builder(this.environment, 2, (runtime) -> runtime.callTimeout(Duration.ofSeconds(30)))
            .transport((siloId) -> {
                GrpcTransport transport = GrpcTransport.selfHosted(settings, new InetSocketAddress("127.0.0.1", 0),
                        null);
                this.transports.put(siloId, transport);
                return siloId.equals("silo-2") ? new HandoffRecordingTransport(transport, this.handoffs) : transport;
            });
        this.cluster = new TallyCluster(this.environment, builder);
        int vnodes = this.cluster.silo(0).routing().view().ring().virtualNodes();
        HashRing before = HashRing.of(List.of("silo-0", "silo-1"), vnodes);
        HashRing after = HashRing.of(List.of("silo-0", "silo-1", "silo-2"), vnodes);
        String held = TallyCluster.idWhere((id) -> "silo-1".equals(before.ownerOf(tallyHash(id)))
                && "silo-2".equals(after.ownerOf(tallyHash(id))));
        CompletableFuture<String> turn = CompletableFuture.supplyAsync(
                () -> this.cluster.silo(0).get(Tally.class, held).hold("handed-over"), VIRTUAL_THREADS);
        await().atMost(TallyEnvironment.timeout()).until(() -> this.environment.reached("handed-over"));

        TestSilo joined = this.cluster.addSilo();
        await().atMost(TallyEnvironment.timeout()).until(() -> this.cluster.cluster().runningSilos().stream()
            .allMatch((viewer) -> statusOf(viewer, "silo-2") == SiloStatus.ACTIVE));
        CompletableFuture<Long> call = CompletableFuture.supplyAsync(() -> joined.get(Tally.class, held).add(1),
                VIRTUAL_THREADS);
        await().atMost(TallyEnvironment.timeout()).until(() -> handoffsTo("silo-1") == 1);

        this.transports.get("silo-2").disconnect(this.cluster.silo(1).address());

        await().atMost(TallyEnvironment.timeout()).until(() -> handoffsTo("silo-1") == 2 || call.isDone());
        assertThat(call).as("waits for silo-1 to give the actor up, asked again").isNotDone();
        this.environment.open("handed-over");

        assertThat(turn).succeedsWithin(TallyEnvironment.timeout()).isEqualTo("silo-1");
        assertThat(call).succeedsWithin(TallyEnvironment.timeout()).isEqualTo(1L);
        assertThat(joined.get(Tally.class, held).where()).isEqualTo("silo-2");
        assertThat(this.environment.duplicates()).isEmpty();
    }

    private long handoffsTo(String siloId) {
        return this.handoffs.stream().filter((sent) -> siloId.equals(sent.targetSiloId())).count();
    }

    private static SiloStatus statusOf(TestSilo viewer, String siloId) {
        var entry = viewer.routing().view().membership().silos().get(siloId);
        return (entry != null) ? entry.status() : null;
    }

    private static long tallyHash(String id) {
        return RingHash.of(new ActorAddress("Tally", id));
    }

    /** Keeps the {@code HANDOFF} envelopes its silo sends, once the transport has handed each over. */
    private static final class HandoffRecordingTransport extends ForwardingTransport {

        private final List<Envelope> handoffs;

        HandoffRecordingTransport(GrpcTransport transport, List<Envelope> handoffs) {
            super(transport);
            this.handoffs = handoffs;
        }

        @Override
        public CompletionStage<Void> send(SiloAddress target, Envelope envelope) {
            CompletionStage<Void> sent = super.send(target, envelope);
            if (envelope.kind() == Envelope.Kind.HANDOFF) {
                sent.thenRun(() -> this.handoffs.add(envelope));
            }
            return sent;
        }
    }
}
