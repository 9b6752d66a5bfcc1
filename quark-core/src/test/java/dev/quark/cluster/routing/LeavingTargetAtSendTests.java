package dev.quark.cluster.routing;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;

import dev.quark.actor.AbstractActor;
import dev.quark.actor.Actor;
import dev.quark.actor.LocalPreferredPlacement;
import dev.quark.actor.QuarkActor;
import dev.quark.cluster.membership.ClusterView;
import dev.quark.cluster.membership.MembershipSnapshot;
import dev.quark.cluster.membership.SiloAddress;
import dev.quark.cluster.membership.SiloEntry;
import dev.quark.cluster.membership.SiloStatus;
import dev.quark.cluster.placement.HashPlacementDirector;
import dev.quark.cluster.placement.PlacementDirector;
import dev.quark.cluster.transport.PayloadCodec;
import dev.quark.cluster.transport.injvm.InJvmNetwork;
import dev.quark.cluster.transport.jackson.JacksonPayloadCodec;
import dev.quark.runtime.ActorAddress;
import dev.quark.runtime.ActorRuntime;
import dev.quark.runtime.MethodDescriptor;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A call routed with a view in which its target is active, and sent when the caller's view shows that target
 * leaving ({@code SHUTTING_DOWN}): a hash-placed call is routed again, to the actor's owner in the new view,
 * and never reaches the leaver; a directory-placed call, or one whose target is still active, is sent where it
 * was routed. A call whose target is {@code DEAD} in the caller's view when it is sent is routed again, whatever
 * its placement. The caller's view changes between routing and sending through its placement (right after it
 * located the actor) or its codec, which encodes the arguments in that window.
 */
class LeavingTargetAtSendTests {

    private static final Map<String, AtomicInteger> RUNS = new ConcurrentHashMap<>();

    private final InJvmNetwork network = new InJvmNetwork();

    private final List<ActorRuntime> runtimes = new ArrayList<>();

    private final List<SiloRouting> routings = new ArrayList<>();

    private final List<SiloEntry> entries = new ArrayList<>();

    private final List<HeldViewSource> sources = new ArrayList<>();

    /** Run once by the caller's placement, right after it located a test actor placed by hash. */
    private final AtomicReference<@Nullable Runnable> afterLocating = new AtomicReference<>();

    /** Run once by the caller's codec, right before it encodes the arguments of a call to a test actor. */
    private final AtomicReference<@Nullable Runnable> beforeEncoding = new AtomicReference<>();

    @AfterEach
    void close() {
        this.routings.forEach(SiloRouting::close);
        this.runtimes.forEach(ActorRuntime::close);
        this.network.close();
    }

    @Test
    void aHashPlacedCallWhoseTargetIsLeavingAtSendGoesToTheNewOwner() {
        startSilos();
        ClusterView before = view(1, SiloStatus.ACTIVE);
        ClusterView leaving = view(2, SiloStatus.SHUTTING_DOWN);
        String id = idOwnedBy("silo-1", before, "silo-2", leaving);
        follow(before, before, leaving);
        this.beforeEncoding.set(() -> this.sources.get(0).install(leaving));

        assertThat(this.runtimes.get(0).get(Gauge.class, id).where()).isEqualTo("silo-2");

        assertThat(this.beforeEncoding.get()).as("the view changed between routing and sending").isNull();
        assertThat(runs("silo-1", id)).as("nothing sent to the leaver").isZero();
        assertThat(runs("silo-2", id)).isEqualTo(1);
    }

    @Test
    void aHashPlacedCallWhoseTargetIsStillActiveAtSendIsNotRoutedAgain() {
        startSilos();
        ClusterView before = view(1, SiloStatus.ACTIVE);
        ClusterView newer = view(2, SiloStatus.ACTIVE);
        String id = idOwnedBy("silo-1", before, "silo-1", newer);
        follow(before, newer, newer);
        this.beforeEncoding.set(() -> this.sources.get(0).install(newer));

        assertThat(this.runtimes.get(0).get(Gauge.class, id).where()).isEqualTo("silo-1");

        assertThat(this.beforeEncoding.get()).isNull();
        assertThat(runs("silo-1", id)).isEqualTo(1);
    }

    @Test
    void aDirectoryPlacedCallWhoseTargetIsLeavingAtSendIsServedByIt() {
        startSilos();
        ClusterView before = view(1, SiloStatus.ACTIVE);
        ClusterView leaving = view(2, SiloStatus.SHUTTING_DOWN);
        follow(before, before, before);
        String id = "spot-" + System.nanoTime();
        Spot spot = this.runtimes.get(0).get(Spot.class, id);
        assertThat(spot.where()).as("activated on the only silo that hosts the type").isEqualTo("silo-1");
        this.beforeEncoding.set(() -> this.sources.forEach((source) -> source.install(leaving)));

        assertThat(spot.where()).as("the leaver still hosts the activation").isEqualTo("silo-1");

        assertThat(this.beforeEncoding.get()).isNull();
        assertThat(runs("silo-1", id)).isEqualTo(2);
    }

    /**
     * Located with a view in which its owner is active, the call finds that owner dead in the caller's view when it
     * is sent: it was not sent, so it is routed again with that view, to the actor's owner there (it failed with
     * "dead in the view" before).
     */
    @Test
    void aCallWhoseTargetIsDeadWhenItIsSentGoesToTheNewOwner() {
        goesToTheNewOwnerWhenItsTargetTurnsDeadAt(this.afterLocating);
    }

    /**
     * As above, with the caller's view turning the target dead while the call's arguments are encoded. (Sent there
     * all the same, the dead silo would refuse it unrun, having read the view the call names, and it would be routed
     * again too: the check saves that round trip.)
     */
    @Test
    void aCallWhoseTargetTurnsDeadWhileItIsEncodedGoesToTheNewOwner() {
        goesToTheNewOwnerWhenItsTargetTurnsDeadAt(this.beforeEncoding);
    }

    /** Calls a gauge whose owner, silo-1, turns dead in the caller's view at the given moment of the call. */
    private void goesToTheNewOwnerWhenItsTargetTurnsDeadAt(AtomicReference<@Nullable Runnable> moment) {
        startSilos();
        ClusterView before = view(1, SiloStatus.ACTIVE);
        ClusterView dead = view(2, SiloStatus.DEAD);
        String id = idOwnedBy("silo-1", before, "silo-2", dead);
        follow(before, before, dead);
        moment.set(() -> this.sources.get(0).install(dead));

        assertThat(this.runtimes.get(0).get(Gauge.class, id).where()).isEqualTo("silo-2");

        assertThat(moment.get()).as("the view changed during the call").isNull();
        assertThat(runs("silo-1", id)).as("nothing sent to the dead silo").isZero();
        assertThat(runs("silo-2", id)).isEqualTo(1);
    }

    private static int runs(String siloId, String id) {
        AtomicInteger runs = RUNS.get(siloId + "/" + id);
        return (runs != null) ? runs.get() : 0;
    }

    private void startSilos() {
        for (int i = 0; i < 3; i++) {
            String siloId = "silo-" + i;
            SiloRouting.Builder builder = SiloRouting.builder(siloId, this.network.transport());
            SiloRouting routing = ((i == 0) ? builder.placement(new HookedPlacement()) : builder).build();
            ActorRuntime runtime = routing.configure(ActorRuntime.builder()
                .callTimeout(Duration.ofSeconds(20))
                .actor(GaugeActor.class, () -> new GaugeActor(siloId))
                .actor(SpotActor.class, () -> new SpotActor(siloId))).build();
            PayloadCodec codec = new JacksonPayloadCodec(JsonMapper.builder().build(), runtime, List.of());
            SiloAddress address = routing.listen(runtime, (i == 0) ? new HookedCodec(codec) : codec);
            this.routings.add(routing);
            this.runtimes.add(runtime);
            Instant now = Instant.now();
            Set<String> types = (i == 1) ? Set.of("Gauge", "Spot") : Set.of("Gauge");
            this.entries.add(new SiloEntry(siloId, address, now, SiloStatus.ACTIVE, now, 1, types, List.of()));
        }
    }

    /** A view of the three silos at a version, with silo-1 in the given status. */
    private ClusterView view(long version, SiloStatus silo1) {
        List<SiloEntry> silos = new ArrayList<>(this.entries);
        silos.set(1, silos.get(1).withStatus(silo1));
        return ClusterView.of(MembershipSnapshot.of(version, silos), 150);
    }

    /**
     * Gives each silo its view. The membership table holds the newest of them: a silo asked to read it (to catch
     * up with a hand-off's asker, say) installs that one, as a silo reading its membership table does.
     */
    private void follow(ClusterView... views) {
        ClusterView table = Arrays.stream(views).max(Comparator.comparingLong(ClusterView::version)).orElseThrow();
        for (int i = 0; i < views.length; i++) {
            HeldViewSource source = new HeldViewSource() {

                @Override
                public void refreshIfOlderThan(long seenVersion) {
                    super.refreshIfOlderThan(seenVersion);
                    if (table.version() > current().version()) {
                        install(table);
                    }
                }
            };
            source.install(views[i]);
            this.sources.add(source);
            this.routings.get(i).follow(source);
        }
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

    /** An actor placed by the directory that says where it runs. */
    public interface Spot extends Actor {

        String where();
    }

    @QuarkActor
    @LocalPreferredPlacement
    public static class SpotActor extends AbstractActor implements Spot {

        private final String siloId;

        public SpotActor(String siloId) {
            this.siloId = siloId;
        }

        @Override
        public String where() {
            ran(this.siloId, actorId());
            return this.siloId;
        }
    }

    /** The caller's placement: hash placement that runs {@link #afterLocating} once, after it located a gauge. */
    private final class HookedPlacement implements PlacementDirector {

        private final HashPlacementDirector delegate = new HashPlacementDirector();

        @Override
        public @Nullable String ownerOf(ActorAddress address, ClusterView view) {
            String owner = this.delegate.ownerOf(address, view);
            if (address.typeName().equals("Gauge")) {
                Runnable hook = LeavingTargetAtSendTests.this.afterLocating.getAndSet(null);
                if (hook != null) {
                    hook.run();
                }
            }
            return owner;
        }
    }

    /** The caller's codec: runs {@link #beforeEncoding} once, before it encodes the arguments of a test call. */
    private final class HookedCodec implements PayloadCodec {

        private final PayloadCodec delegate;

        HookedCodec(PayloadCodec delegate) {
            this.delegate = delegate;
        }

        @Override
        public byte[] encodeArguments(MethodDescriptor method, @Nullable Object[] arguments) {
            if (method.name().equals("where")) {
                Runnable hook = LeavingTargetAtSendTests.this.beforeEncoding.getAndSet(null);
                if (hook != null) {
                    hook.run();
                }
            }
            return this.delegate.encodeArguments(method, arguments);
        }

        @Override
        public @Nullable Object[] decodeArguments(MethodDescriptor method, byte[] payload) {
            return this.delegate.decodeArguments(method, payload);
        }

        @Override
        public byte[] encodeResult(MethodDescriptor method, @Nullable Object result) {
            return this.delegate.encodeResult(method, result);
        }

        @Override
        public @Nullable Object decodeResult(MethodDescriptor method, byte[] payload) {
            return this.delegate.decodeResult(method, payload);
        }

        @Override
        public byte[] encodeFailure(Throwable failure) {
            return this.delegate.encodeFailure(failure);
        }

        @Override
        public Throwable decodeFailure(byte[] payload) {
            return this.delegate.decodeFailure(payload);
        }
    }
}
