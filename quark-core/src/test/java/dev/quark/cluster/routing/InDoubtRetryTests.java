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
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

import dev.quark.actor.AbstractActor;
import dev.quark.actor.Actor;
import dev.quark.actor.Idempotent;
import dev.quark.actor.QuarkActor;
import dev.quark.cluster.SiloUnavailableException;
import dev.quark.cluster.membership.ClusterView;
import dev.quark.cluster.membership.MembershipSnapshot;
import dev.quark.cluster.membership.SiloAddress;
import dev.quark.cluster.membership.SiloEntry;
import dev.quark.cluster.membership.SiloStatus;
import dev.quark.cluster.placement.HashPlacementDirector;
import dev.quark.cluster.transport.Envelope;
import dev.quark.cluster.transport.EnvelopeHandler;
import dev.quark.cluster.transport.ForwardingTransport;
import dev.quark.cluster.transport.SiloUnreachableException;
import dev.quark.cluster.transport.Transport;
import dev.quark.cluster.transport.injvm.InJvmNetwork;
import dev.quark.cluster.transport.jackson.JacksonPayloadCodec;
import dev.quark.runtime.ActorAddress;
import dev.quark.runtime.ActorRuntime;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Calls whose transport reports them in doubt (written to a link that broke before the answer came, as the gRPC
 * transport does): an idempotent one is sent once more, any other fails with the transport's failure.
 */
class InDoubtRetryTests {

    private static final Map<String, AtomicInteger> RUNS = new ConcurrentHashMap<>();

    private final InJvmNetwork network = new InJvmNetwork();

    private final List<ActorRuntime> runtimes = new ArrayList<>();

    private final List<SiloRouting> routings = new ArrayList<>();

    private BreakingTransport caller;

    @AfterEach
    void close() {
        this.routings.forEach(SiloRouting::close);
        this.runtimes.forEach(ActorRuntime::close);
        this.network.close();
    }

    @Test
    void idempotentCallInDoubtIsSentOnceMoreAndAnswered() {
        ClusterView view = startSilos();
        String id = idOwnedBy("silo-1", view);
        this.caller.breakNext(1);

        assertThat(this.runtimes.get(0).get(Gauge.class, id).set(7)).isEqualTo("silo-1");

        assertThat(this.caller.broken()).isEqualTo(1);
        assertThat(runs(id)).as("the first request never arrived; the retry ran").isEqualTo(1);
    }

    @Test
    void callToAMethodNotMarkedIdempotentFailsWithTheTransportsFailure() {
        ClusterView view = startSilos();
        String id = idOwnedBy("silo-1", view);
        this.caller.breakNext(1);

        assertThatExceptionOfType(SiloUnavailableException.class)
            .isThrownBy(() -> this.runtimes.get(0).get(Gauge.class, id).add(7))
            .withMessageContaining("the stream broke")
            .withMessageNotContaining("retried");
        assertThat(runs(id)).isZero();
    }

    @Test
    void idempotentCallInDoubtTwiceFailsSayingItWasRetriedOnce() {
        ClusterView view = startSilos();
        String id = idOwnedBy("silo-1", view);
        this.caller.breakNext(2);

        assertThatExceptionOfType(SiloUnavailableException.class)
            .isThrownBy(() -> this.runtimes.get(0).get(Gauge.class, id).set(7))
            .withMessageContaining("retried once")
            .withMessageContaining("the stream broke");
        assertThat(this.caller.broken()).as("sent twice, never a third time").isEqualTo(2);
        assertThat(runs(id)).isZero();
    }

    private static int runs(String id) {
        AtomicInteger runs = RUNS.get(id);
        return (runs != null) ? runs.get() : 0;
    }

    private ClusterView startSilos() {
        List<SiloEntry> entries = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            String siloId = "silo-" + i;
            Transport transport = this.network.transport();
            if (i == 0) {
                this.caller = new BreakingTransport(transport);
                transport = this.caller;
            }
            SiloRouting routing = SiloRouting.builder(siloId, transport).build();
            ActorRuntime runtime = routing.configure(ActorRuntime.builder()
                .callTimeout(Duration.ofSeconds(20))
                .actor(GaugeActor.class, () -> new GaugeActor(siloId))).build();
            SiloAddress address = routing.listen(runtime,
                    new JacksonPayloadCodec(JsonMapper.builder().build(), runtime, List.of()));
            this.routings.add(routing);
            this.runtimes.add(runtime);
            Instant now = Instant.now();
            entries.add(new SiloEntry(siloId, address, now, SiloStatus.ACTIVE, now, 1, Set.of("Gauge"), List.of()));
        }
        ClusterView view = ClusterView.of(MembershipSnapshot.of(1, entries), 150);
        this.routings.forEach((routing) -> routing.follow(HeldViewSource.of(view)));
        return view;
    }

    private static String idOwnedBy(String siloId, ClusterView view) {
        return IntStream.range(0, 10_000).mapToObj((i) -> "gauge-" + System.nanoTime() + "-" + i)
            .filter((id) -> siloId.equals(new HashPlacementDirector().ownerOf(new ActorAddress("Gauge", id), view)))
            .findFirst()
            .orElseThrow();
    }

    /** A gauge; setting it twice to one value is setting it once. */
    public interface Gauge extends Actor {

        @Idempotent
        String set(long value);

        String add(long amount);
    }

    @QuarkActor
    public static class GaugeActor extends AbstractActor implements Gauge {

        private final String siloId;

        public GaugeActor(String siloId) {
            this.siloId = siloId;
        }

        @Override
        public String set(long value) {
            RUNS.computeIfAbsent(actorId(), (key) -> new AtomicInteger()).incrementAndGet();
            return this.siloId;
        }

        @Override
        public String add(long amount) {
            RUNS.computeIfAbsent(actorId(), (key) -> new AtomicInteger()).incrementAndGet();
            return this.siloId;
        }
    }

    /**
     * A transport whose next requests are written to a link that breaks before they arrive: each is reported
     * {@linkplain EnvelopeHandler#inDoubt in doubt}, as the gRPC transport reports a request written to a stream that
     * broke before its answer came.
     */
    private static final class BreakingTransport extends ForwardingTransport {

        private final AtomicInteger toBreak = new AtomicInteger();

        private final AtomicInteger broken = new AtomicInteger();

        private volatile @Nullable EnvelopeHandler handler;

        BreakingTransport(Transport delegate) {
            super(delegate);
        }

        void breakNext(int count) {
            this.toBreak.set(count);
        }

        int broken() {
            return this.broken.get();
        }

        @Override
        public SiloAddress start(String siloId, EnvelopeHandler handler) {
            this.handler = handler;
            return super.start(siloId, handler);
        }

        @Override
        public CompletionStage<Void> send(SiloAddress target, Envelope envelope) {
            if (envelope.kind() == Envelope.Kind.REQUEST && envelope.actorType() != null
                    && this.toBreak.getAndUpdate((left) -> Math.max(0, left - 1)) > 0) {
                this.broken.incrementAndGet();
                EnvelopeHandler receiver = Objects.requireNonNull(this.handler, "started");
                Thread.ofVirtual().start(() -> receiver.inDoubt(envelope.messageId(),
                        new SiloUnreachableException("the stream broke after " + envelope + " was written")));
                return CompletableFuture.completedFuture(null);
            }
            return super.send(target, envelope);
        }
    }
}
