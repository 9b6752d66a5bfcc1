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
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;

import dev.quark.actor.AbstractActor;
import dev.quark.actor.Actor;
import dev.quark.actor.Idempotent;
import dev.quark.actor.PlacedWithParent;
import dev.quark.actor.QuarkActor;
import dev.quark.cluster.SiloUnavailableException;
import dev.quark.cluster.membership.ClusterView;
import dev.quark.cluster.membership.MembershipSnapshot;
import dev.quark.cluster.membership.SiloAddress;
import dev.quark.cluster.membership.SiloEntry;
import dev.quark.cluster.membership.SiloStatus;
import dev.quark.cluster.placement.HashPlacementDirector;
import dev.quark.cluster.placement.PlacementDirector;
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
 * transport does): an idempotent one is sent once more, any other fails with the transport's failure. The retry asks
 * the caller's transport to reconnect only when the caller's own link broke, not for an unknown outcome relayed by the
 * silo that passed the call on, nor once a newer view has come.
 */
class InDoubtRetryTests {

    private static final Map<String, AtomicInteger> RUNS = new ConcurrentHashMap<>();

    private final InJvmNetwork network = new InJvmNetwork();

    private final List<ActorRuntime> runtimes = new ArrayList<>();

    private final List<SiloRouting> routings = new ArrayList<>();

    private BreakingTransport caller;

    /** The transport of the silo that passes calls on, in the test of a relayed unknown outcome. */
    private BreakingTransport forwarder;

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

    /**
     * The caller's own link broke with the call on it, and its view still shows the owner alive: the retry waits for
     * that link to come back ({@code Transport.reconnect}), which the caller asks its transport for.
     */
    @Test
    void aRetryAfterTheCallersOwnLinkBrokeAsksItsTransportToReconnect() {
        ClusterView view = startSilos();
        String id = idOwnedBy("silo-1", view);
        this.caller.breakNext(1);

        assertThat(this.runtimes.get(0).get(Gauge.class, id).set(7)).isEqualTo("silo-1");

        assertThat(this.caller.reconnects()).isEqualTo(1);
    }

    /**
     * An unknown outcome relayed by the silo that passed the call on (its own link to the owner broke) says nothing
     * about the caller's link to it: the retry does not ask the caller's transport to reconnect (it waits for a newer
     * view, up to its bound, then goes out over the link there is), and runs once.
     */
    @Test
    void aRetryOfAnUnknownOutcomeRelayedByAnotherSiloDoesNotAskTheCallersTransportToReconnect() {
        List<SiloEntry> entries = startSilos(3, 1);
        ClusterView callers = view(1, entries, SiloStatus.SHUTTING_DOWN);
        ClusterView forwarders = view(2, entries, SiloStatus.ACTIVE);
        String id = IntStream.range(0, 10_000).mapToObj((i) -> "gauge-" + System.nanoTime() + "-" + i)
            .filter((candidate) -> "silo-1".equals(ownerOf(candidate, callers))
                    && "silo-2".equals(ownerOf(candidate, forwarders)))
            .findFirst()
            .orElseThrow();
        this.routings.get(0).follow(HeldViewSource.of(callers));
        this.routings.get(1).follow(HeldViewSource.of(forwarders));
        this.routings.get(2).follow(HeldViewSource.of(forwarders));
        this.forwarder.breakNext(1);

        assertThat(this.runtimes.get(0).get(Gauge.class, id).set(7)).isEqualTo("silo-2");

        assertThat(this.forwarder.broken()).as("the first pass on broke").isEqualTo(1);
        assertThat(this.caller.broken()).isZero();
        assertThat(this.caller.reconnects()).as("the caller's own link never broke").isZero();
        assertThat(runs(id)).isEqualTo(1);
    }

    /**
     * The caller's own link broke with the call on it, and a newer view, in which the owner has left, came while the
     * retry was being located with the view before it: the retry goes by the newer view (here, where the actor lives
     * now) without asking the caller's transport to reconnect to the silo that left, and runs once.
     */
    @Test
    void aRetryAfterTheCallersOwnLinkBrokeDoesNotAskItsTransportToReconnectOnceANewerViewHasCome() {
        HeldViewSource callers = new HeldViewSource();
        ViewTurningPlacement placement = new ViewTurningPlacement();
        List<SiloEntry> entries = startSilos(2, -1, placement);
        ClusterView before = ClusterView.of(MembershipSnapshot.of(1, entries), 150);
        List<SiloEntry> afterLeave = new ArrayList<>(entries);
        afterLeave.set(1, entries.get(1).withStatus(SiloStatus.DEAD));
        ClusterView left = ClusterView.of(MembershipSnapshot.of(2, afterLeave), 150);
        callers.install(before);
        this.routings.get(0).follow(callers);
        this.routings.get(1).follow(HeldViewSource.of(before));
        String id = idOwnedBy("silo-1", before);
        this.caller.breakNext(1);
        this.caller.afterBreak(() -> placement.onNextLookup(() -> callers.install(left)));

        assertThat(this.runtimes.get(0).get(Gauge.class, id).set(7)).isEqualTo("silo-0");

        assertThat(placement.turnedAtVersion()).as("the newer view came while the retry was located with version 1")
            .isEqualTo(1L);
        assertThat(this.caller.broken()).isEqualTo(1);
        assertThat(this.caller.reconnects()).as("no reconnect to the silo the newer view shows gone").isZero();
        assertThat(runs(id)).isEqualTo(1);
    }

    /**
     * A child placed with its parent on silo-1 and owned by hash by the caller's silo: the caller delivers its call
     * here, where the directory sends it on to silo-1. When that send's outcome is unknown, the one retry comes back
     * here and is sent on again; its unknown outcome ends the call ("retried once"), instead of a retry each time it
     * comes back, up to the call's deadline.
     */
    @Test
    void aRetrySentOnAgainFromTheCallersSiloIsNotRetriedOnceMore() {
        ClusterView view = startSilos();
        String parent = idOwnedBy("Nest", "silo-1", view);
        String child = idOwnedBy("Chick", "silo-0", view);
        assertThat(this.runtimes.get(1).get(Nest.class, parent).spawn(child)).isEqualTo("silo-1");
        this.caller.breakNext(2);

        assertThatExceptionOfType(SiloUnavailableException.class)
            .isThrownBy(() -> this.runtimes.get(0).get(Chick.class, child).set(7))
            .withMessageContaining("retried once");
        assertThat(this.caller.broken()).as("sent on twice, never a third time").isEqualTo(2);
        assertThat(runs(child)).isZero();
        assertThat(this.runtimes.get(0).get(Chick.class, child).set(8)).as("the one activation, on the parent's silo")
            .isEqualTo("silo-1");
    }

    private static @Nullable String ownerOf(String id, ClusterView view) {
        return new HashPlacementDirector().ownerOf(new ActorAddress("Gauge", id), view);
    }

    /** A view of silos at a version, with silo-2 in the given status. */
    private static ClusterView view(long version, List<SiloEntry> entries, SiloStatus silo2) {
        List<SiloEntry> silos = new ArrayList<>(entries);
        silos.set(2, silos.get(2).withStatus(silo2));
        return ClusterView.of(MembershipSnapshot.of(version, silos), 150);
    }

    private static int runs(String id) {
        AtomicInteger runs = RUNS.get(id);
        return (runs != null) ? runs.get() : 0;
    }

    private ClusterView startSilos() {
        ClusterView view = ClusterView.of(MembershipSnapshot.of(1, startSilos(2, -1)), 150);
        this.routings.forEach((routing) -> routing.follow(HeldViewSource.of(view)));
        return view;
    }

    /**
     * Starts silos whose first (the caller) has a {@link BreakingTransport}, as has the one at {@code forwarder}
     * when it is one of them; returns their entries, the silos following no view yet.
     */
    private List<SiloEntry> startSilos(int count, int forwarder) {
        return startSilos(count, forwarder, new HashPlacementDirector());
    }

    /** As {@link #startSilos(int, int)}, the caller placing actors with the given director. */
    private List<SiloEntry> startSilos(int count, int forwarder, PlacementDirector callerPlacement) {
        List<SiloEntry> entries = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String siloId = "silo-" + i;
            Transport transport = this.network.transport();
            if (i == 0) {
                this.caller = new BreakingTransport(transport);
                transport = this.caller;
            }
            else if (i == forwarder) {
                this.forwarder = new BreakingTransport(transport);
                transport = this.forwarder;
            }
            SiloRouting routing = SiloRouting.builder(siloId, transport)
                .placement((i == 0) ? callerPlacement : new HashPlacementDirector())
                .build();
            ActorRuntime runtime = routing.configure(ActorRuntime.builder()
                .callTimeout(Duration.ofSeconds(20))
                .actor(GaugeActor.class, () -> new GaugeActor(siloId))
                .actor(NestActor.class, () -> new NestActor(siloId))
                .actor(ChickActor.class, () -> new ChickActor(siloId))).build();
            SiloAddress address = routing.listen(runtime,
                    new JacksonPayloadCodec(JsonMapper.builder().build(), runtime, List.of()));
            this.routings.add(routing);
            this.runtimes.add(runtime);
            Instant now = Instant.now();
            entries.add(new SiloEntry(siloId, address, now, SiloStatus.ACTIVE, now, 1, Set.of("Gauge", "Nest", "Chick"),
                    List.of()));
        }
        return entries;
    }

    private static String idOwnedBy(String siloId, ClusterView view) {
        return idOwnedBy("Gauge", siloId, view);
    }

    private static String idOwnedBy(String type, String siloId, ClusterView view) {
        return IntStream.range(0, 10_000).mapToObj((i) -> type.toLowerCase() + "-" + System.nanoTime() + "-" + i)
            .filter((id) -> siloId.equals(new HashPlacementDirector().ownerOf(new ActorAddress(type, id), view)))
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

    /** A parent that spawns a {@link Chick}, placed with it. */
    public interface Nest extends Actor {

        String spawn(String childId);
    }

    @QuarkActor
    public static class NestActor extends AbstractActor implements Nest {

        private final String siloId;

        public NestActor(String siloId) {
            this.siloId = siloId;
        }

        @Override
        public String spawn(String childId) {
            spawnChild(Chick.class, childId);
            return this.siloId;
        }
    }

    /** A child placed with its parent; setting it twice to one value is setting it once. */
    public interface Chick extends Actor {

        @Idempotent
        String set(long value);
    }

    @QuarkActor
    @PlacedWithParent
    public static class ChickActor extends AbstractActor implements Chick {

        private final String siloId;

        public ChickActor(String siloId) {
            this.siloId = siloId;
        }

        @Override
        public String set(long value) {
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

        private final AtomicInteger reconnects = new AtomicInteger();

        private volatile @Nullable EnvelopeHandler handler;

        private volatile Runnable afterBreak = () -> {
        };

        BreakingTransport(Transport delegate) {
            super(delegate);
        }

        void breakNext(int count) {
            this.toBreak.set(count);
        }

        int broken() {
            return this.broken.get();
        }

        /** Runs something each time a request is broken, before it is reported in doubt. */
        void afterBreak(Runnable action) {
            this.afterBreak = action;
        }

        int reconnects() {
            return this.reconnects.get();
        }

        @Override
        public CompletionStage<Void> reconnect(SiloAddress address, Envelope.Lane lane) {
            this.reconnects.incrementAndGet();
            return super.reconnect(address, lane);
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
                this.afterBreak.run();
                EnvelopeHandler receiver = Objects.requireNonNull(this.handler, "started");
                Thread.ofVirtual().start(() -> receiver.inDoubt(envelope.messageId(),
                        new SiloUnreachableException("the stream broke after " + envelope + " was written")));
                return CompletableFuture.completedFuture(null);
            }
            return super.send(target, envelope);
        }
    }

    /**
     * Hash placement that can run something once, on its next lookup of a gauge: a newer view installed while the
     * router locates a call with the view it read just before.
     */
    private static final class ViewTurningPlacement implements PlacementDirector {

        private final HashPlacementDirector hash = new HashPlacementDirector();

        private final AtomicReference<@Nullable Runnable> onNextLookup = new AtomicReference<>();

        /** The version of the view the lookup that ran the action was made with, {@code -1} before. */
        private volatile long turnedAtVersion = -1;

        void onNextLookup(Runnable action) {
            this.onNextLookup.set(action);
        }

        long turnedAtVersion() {
            return this.turnedAtVersion;
        }

        @Override
        public @Nullable String ownerOf(ActorAddress address, ClusterView view) {
            if ("Gauge".equals(address.typeName())) {
                Runnable action = this.onNextLookup.getAndSet(null);
                if (action != null) {
                    action.run();
                    this.turnedAtVersion = view.version();
                }
            }
            return this.hash.ownerOf(address, view);
        }
    }
}
