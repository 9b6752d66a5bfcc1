package dev.quark.cluster.routing;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.IntStream;

import ch.qos.logback.classic.Level;
import dev.quark.LogCapture;
import dev.quark.actor.AbstractActor;
import dev.quark.actor.Actor;
import dev.quark.actor.OneWay;
import dev.quark.actor.QuarkActor;
import dev.quark.cluster.SiloUnavailableException;
import dev.quark.cluster.membership.ClusterView;
import dev.quark.cluster.membership.MembershipSnapshot;
import dev.quark.cluster.membership.SiloAddress;
import dev.quark.cluster.membership.SiloEntry;
import dev.quark.cluster.membership.SiloStatus;
import dev.quark.cluster.transport.injvm.InJvmNetwork;
import dev.quark.cluster.transport.jackson.JacksonPayloadCodec;
import dev.quark.runtime.ActorRuntime;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The bounds on a one-way call that could not be handed over and is routed again by the silo that sent it: a silo's
 * own, or one that silo passed on to the actor's owner. At most three re-routes, never past the call's deadline, and
 * at most {@link UnsentCalls#MAX_WAITING_ONE_WAYS} such calls, own and passed on together, waiting for a newer view at
 * once (a call that stopped waiting no longer counts). Beyond any of them the call is dropped, logged and counted as
 * failed.
 * <p>
 * Four silos on the in-JVM transport: silo-0 sends to silo-1, which passes the calls on to silo-2 or silo-3 as its own
 * placement says (by the version of its view), and sends its own calls there too; silo-1's links to silo-2 and silo-3
 * are cut, so nothing it sends or passes on is handed over.
 */
class UnsentOneWayBoundsTests {

    private static final Map<String, AtomicInteger> ADDED = new ConcurrentHashMap<>();

    private final InJvmNetwork network = new InJvmNetwork();

    private final List<ActorRuntime> runtimes = new ArrayList<>();

    private final List<SiloRouting> routings = new ArrayList<>();

    private final List<SiloEntry> entries = new ArrayList<>();

    private final RecordingMetrics forwarderMetrics = new RecordingMetrics();

    /** Who owns every tally in the forwarder's view of a version. */
    private volatile Function<ClusterView, String> forwarderOwner = (view) -> "silo-2";

    @AfterEach
    void close() {
        this.routings.forEach(SiloRouting::close);
        this.runtimes.forEach(ActorRuntime::close);
        this.network.close();
    }

    @Test
    void aOneWayCallTheForwarderRoutedAgainThreeTimesIsThenDroppedLoggedAndCounted() {
        startSilos(Duration.ofSeconds(30), Duration.ofSeconds(10));
        this.forwarderOwner = (view) -> (view.version() % 2 == 1) ? "silo-2" : "silo-3";
        ClusterView first = view(1, SiloStatus.ACTIVE);
        // Each time the forwarder reads membership again, it reads a newer view, which names the other owner: it has
        // always learnt something, so only the bound of re-routes stops it.
        ReadingNewerViewSource forwarders = new ReadingNewerViewSource(first);
        follow(first, forwarders);

        try (LogCapture logged = LogCapture.of(IncomingCalls.class)) {
            this.runtimes.get(0).get(Tally.class, "t-rerouted").add(1);

            await().atMost(Duration.ofSeconds(10)).until(() -> !this.forwarderMetrics.failed.isEmpty());
            assertThat(this.forwarderMetrics.failed).singleElement()
                .isInstanceOf(SiloUnavailableException.class)
                .satisfies((failure) -> assertThat(failure.getMessage())
                    .contains("not routed again: it was routed again 3 times already"));
            assertThat(logged.messages(Level.WARN)).singleElement().asString()
                .contains("Dropped one-way")
                .contains("routed again 3 times already");
        }
        assertThat(this.forwarderMetrics.rerouted).as("routed again after each owner it could not reach")
            .containsExactly("silo-2", "silo-3", "silo-2");
        assertThat(this.forwarderMetrics.forwarded).as("passed on once, then once per re-route").hasSize(4);
        assertThat(this.routings.get(1).awaitIdle(Duration.ofSeconds(2))).as("nothing left in progress").isTrue();
        assertThat(added("t-rerouted")).as("run nowhere").isZero();
    }

    @Test
    void aOneWayCallWhoseDeadlinePassesWhileTheForwarderWaitsForANewerViewIsDroppedAndCounted() {
        // The call's deadline (1 s) comes long before the forwarder's catch-up wait (20 s) ends.
        startSilos(Duration.ofSeconds(1), Duration.ofSeconds(20));
        ClusterView first = view(1, SiloStatus.ACTIVE);
        HeldViewSource forwarders = HeldViewSource.of(first);
        follow(first, forwarders);

        this.runtimes.get(0).get(Tally.class, "t-late").add(1);

        await().atMost(Duration.ofSeconds(5)).until(() -> !this.forwarderMetrics.failed.isEmpty());
        assertThat(this.forwarderMetrics.failed).singleElement()
            .isInstanceOf(SiloUnavailableException.class)
            .satisfies((failure) -> assertThat(failure.getMessage()).contains("not routed again: its deadline passed"));
        assertThat(forwarders.refreshesAskedFor).as("it waited for a newer view").contains(2L);
        assertThat(this.forwarderMetrics.rerouted).isEmpty();
        assertThat(this.routings.get(1).awaitIdle(Duration.ofSeconds(2))).as("nothing left in progress").isTrue();
        assertThat(added("t-late")).as("run nowhere").isZero();
    }

    @Test
    void oneWayCallsBeyondTheMostThatMayWaitAtTheForwarderForANewerViewAreDroppedAndCountedUntilTheWaitingOnesLeave() {
        // One wait for a newer view serves all the calls: it must outlast their sending on a busy machine.
        startSilos(Duration.ofMinutes(10), Duration.ofMinutes(5));
        // In version 2 silo-2 is dead and the forwarder owns the tallies: the calls that waited run there.
        this.forwarderOwner = (view) -> (view.version() == 1) ? "silo-2" : "silo-1";
        ClusterView first = view(1, SiloStatus.ACTIVE);
        HeldViewSource forwarders = HeldViewSource.of(first);
        follow(first, forwarders);
        int waiting = UnsentCalls.MAX_WAITING_ONE_WAYS;
        int beyond = 3;
        List<Tally> tallies = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            tallies.add(this.runtimes.get(0).get(Tally.class, "t-" + i));
        }

        for (int i = 0; i < waiting + beyond; i++) {
            tallies.get(i % tallies.size()).add(1);
        }

        await().atMost(Duration.ofSeconds(20)).until(() -> this.forwarderMetrics.failed.size() >= beyond);
        assertThat(this.forwarderMetrics.failed).hasSize(beyond)
            .allSatisfy((failure) -> assertThat(failure).isInstanceOf(SiloUnavailableException.class)
                .hasMessageContaining("not routed again: " + waiting
                        + " one-way calls this silo could not hand over wait for a newer view already"));
        assertThat(this.forwarderMetrics.rerouted).as("the others still wait").isEmpty();

        forwarders.install(view(2, SiloStatus.DEAD));

        await().atMost(Duration.ofSeconds(30))
            .until(() -> IntStream.range(0, tallies.size()).map((i) -> added("t-" + i)).sum() == waiting);
        assertThat(this.forwarderMetrics.rerouted).hasSize(waiting);
        assertThat(this.forwarderMetrics.failed).hasSize(beyond);

        // The 10,000 left the wait: one more call whose owner (silo-3, cut) is still active in a view that does not
        // move waits for a newer view, instead of being dropped as one beyond the most that may wait.
        this.forwarderOwner = (view) -> (view.version() == 2) ? "silo-3" : "silo-1";
        this.runtimes.get(0).get(Tally.class, "t-after").add(1);

        await().atMost(Duration.ofSeconds(10))
            .until(() -> forwarders.refreshesAskedFor.contains(3L) || this.forwarderMetrics.failed.size() > beyond);
        assertThat(this.forwarderMetrics.failed).as("not dropped: no call waits any more").hasSize(beyond);
        assertThat(forwarders.refreshesAskedFor).as("it waits for a newer view").contains(3L);

        // In version 3 silo-3 is dead too, so the forwarder, the owner now, need not ask it to confirm it holds none.
        forwarders.install(view(3, SiloStatus.DEAD, SiloStatus.DEAD));

        await().atMost(Duration.ofSeconds(10)).until(() -> added("t-after") == 1);
        assertThat(this.forwarderMetrics.rerouted).hasSize(waiting + 1).endsWith("silo-3");
        assertThat(this.forwarderMetrics.failed).hasSize(beyond);
    }

    @Test
    void aSilosOwnOneWayCallThatIsNotRoutedAgainIsLoggedAsDroppedAndCounted() {
        startSilos(Duration.ofSeconds(30), Duration.ofMillis(300));
        ClusterView first = view(1, SiloStatus.ACTIVE);
        follow(first, HeldViewSource.of(first));

        try (LogCapture logged = LogCapture.of(ClusterRouter.class)) {
            this.runtimes.get(1).get(Tally.class, "t-own").add(1);

            await().atMost(Duration.ofSeconds(10)).until(() -> !this.forwarderMetrics.failed.isEmpty());
            assertThat(this.forwarderMetrics.failed).singleElement()
                .isInstanceOf(SiloUnavailableException.class)
                .satisfies((failure) -> assertThat(failure.getMessage()).contains(
                        "not routed again: silo silo-2 is still active in membership version 1, which did not move"));
            assertThat(logged.messages(Level.WARN)).as("its caller returned long before: only the log tells")
                .singleElement().asString()
                .contains("Dropped one-way call Tally/t-own.add() to silo silo-2")
                .contains("which did not move");
        }
        assertThat(added("t-own")).as("run nowhere").isZero();
    }

    @Test
    void aSilosOwnOneWayCallsAndThoseItPassedOnShareTheMostThatMayWaitForANewerView() {
        // One wait for a newer view serves all the calls: it must outlast their sending on a busy machine.
        startSilos(Duration.ofMinutes(10), Duration.ofMinutes(5));
        // In version 2 silo-2 is dead and silo-1 owns the tallies: the calls that waited run there.
        this.forwarderOwner = (view) -> (view.version() == 1) ? "silo-2" : "silo-1";
        ClusterView first = view(1, SiloStatus.ACTIVE);
        HeldViewSource forwarders = HeldViewSource.of(first);
        follow(first, forwarders);
        int own = UnsentCalls.MAX_WAITING_ONE_WAYS / 2;
        int passedOn = UnsentCalls.MAX_WAITING_ONE_WAYS - own;
        int beyond = 3;
        List<Tally> fromSilo1 = new ArrayList<>();
        List<Tally> fromSilo0 = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            fromSilo1.add(this.runtimes.get(1).get(Tally.class, "own-" + i));
            fromSilo0.add(this.runtimes.get(0).get(Tally.class, "passed-" + i));
        }

        for (int i = 0; i < own; i++) {
            fromSilo1.get(i % fromSilo1.size()).add(1);
        }
        for (int i = 0; i < passedOn + beyond; i++) {
            fromSilo0.get(i % fromSilo0.size()).add(1);
        }

        await().atMost(Duration.ofSeconds(20)).until(() -> this.forwarderMetrics.failed.size() >= beyond);
        assertThat(this.forwarderMetrics.failed).hasSize(beyond)
            .allSatisfy((failure) -> assertThat(failure).isInstanceOf(SiloUnavailableException.class)
                .hasMessageContaining("not routed again: " + UnsentCalls.MAX_WAITING_ONE_WAYS
                        + " one-way calls this silo could not hand over wait for a newer view already"));
        assertThat(this.forwarderMetrics.rerouted).as("the others still wait").isEmpty();

        forwarders.install(view(2, SiloStatus.DEAD));

        await().atMost(Duration.ofSeconds(30)).until(() -> sum("own-", 50) + sum("passed-", 50)
                == UnsentCalls.MAX_WAITING_ONE_WAYS);
        assertThat(this.forwarderMetrics.rerouted).hasSize(UnsentCalls.MAX_WAITING_ONE_WAYS);
        assertThat(this.forwarderMetrics.failed).hasSize(beyond);
    }

    @Test
    void aSilosOwnOneWayCallWithNowhereToGoOnceTheViewMovedIsLoggedAsDropped() {
        startSilos(Duration.ofSeconds(30), Duration.ofSeconds(10));
        // In version 2 no silo hosts the tallies any more.
        this.forwarderOwner = (view) -> (view.version() == 1) ? "silo-2" : null;
        ClusterView first = view(1, SiloStatus.ACTIVE);
        HeldViewSource forwarders = HeldViewSource.of(first);
        follow(first, forwarders);

        try (LogCapture logged = LogCapture.of(ClusterRouter.class)) {
            this.runtimes.get(1).get(Tally.class, "t-nowhere").add(1);
            await().atMost(Duration.ofSeconds(5)).until(() -> forwarders.refreshesAskedFor.contains(2L));
            forwarders.install(view(2, SiloStatus.DEAD));

            await().atMost(Duration.ofSeconds(10)).until(() -> !logged.messages(Level.WARN).isEmpty());
            assertThat(logged.messages(Level.WARN)).singleElement().asString()
                .contains("Dropped one-way call Tally/t-nowhere.add() to silo silo-2")
                .contains("no active silo hosts actor type 'Tally'");
        }
        assertThat(added("t-nowhere")).as("run nowhere").isZero();
    }

    @Test
    void aSilosOwnOneWayCallRoutedBackHereWhoseTurnFailsIsNotLoggedAsDropped() {
        startSilos(Duration.ofSeconds(30), Duration.ofSeconds(10));
        // In version 2 silo-2 is dead and silo-1 owns the tallies: the call runs there, and its turn throws.
        this.forwarderOwner = (view) -> (view.version() == 1) ? "silo-2" : "silo-1";
        ClusterView first = view(1, SiloStatus.ACTIVE);
        HeldViewSource forwarders = HeldViewSource.of(first);
        follow(first, forwarders);

        try (LogCapture logged = LogCapture.of(ClusterRouter.class)) {
            this.runtimes.get(1).get(Tally.class, "t-fails").add(-1);
            await().atMost(Duration.ofSeconds(5)).until(() -> forwarders.refreshesAskedFor.contains(2L));
            forwarders.install(view(2, SiloStatus.DEAD));

            await().atMost(Duration.ofSeconds(10)).until(() -> added("t-fails") == -1);
            assertThat(this.routings.get(1).awaitIdle(Duration.ofSeconds(2))).isTrue();
            assertThat(logged.messages(Level.WARN)).as("delivered: its turn's failure is the turn's to log").isEmpty();
        }
        assertThat(this.forwarderMetrics.rerouted).containsExactly("silo-2");
    }

    private static int sum(String prefix, int tallies) {
        return IntStream.range(0, tallies).map((i) -> added(prefix + i)).sum();
    }

    private static int added(String id) {
        AtomicInteger added = ADDED.get(id);
        return (added != null) ? added.get() : 0;
    }

    /** The caller, silo-2 and silo-3 keep the first view; the forwarder follows its own source. */
    private void follow(ClusterView first, HeldViewSource forwarders) {
        this.routings.get(0).follow(HeldViewSource.of(first));
        this.routings.get(1).follow(forwarders);
        this.routings.get(2).follow(HeldViewSource.of(first));
        this.routings.get(3).follow(HeldViewSource.of(first));
    }

    /** A view of the four silos at a version, silo-2 in the given status. */
    private ClusterView view(long version, SiloStatus silo2) {
        return view(version, silo2, SiloStatus.ACTIVE);
    }

    /** A view of the four silos at a version, silo-2 and silo-3 in the given statuses. */
    private ClusterView view(long version, SiloStatus silo2, SiloStatus silo3) {
        List<SiloEntry> silos = new ArrayList<>(this.entries);
        silos.set(2, silos.get(2).withStatus(silo2));
        silos.set(3, silos.get(3).withStatus(silo3));
        return ClusterView.of(MembershipSnapshot.of(version, silos), 150);
    }

    /**
     * Starts four silos: silo-0 places every tally on silo-1, silo-1 where {@link #forwarderOwner} says; silo-1's
     * links to silo-2 and silo-3 are cut.
     * @param callTimeout the calls' timeout, which gives a one-way call its deadline
     * @param forwarderCatchUp how long silo-1 waits at most for a newer view
     */
    private void startSilos(Duration callTimeout, Duration forwarderCatchUp) {
        for (int i = 0; i < 4; i++) {
            String siloId = "silo-" + i;
            SiloRouting.Builder builder = SiloRouting.builder(siloId, this.network.transport());
            if (i == 1) {
                builder.placement((address, view) -> this.forwarderOwner.apply(view))
                    .metrics(this.forwarderMetrics)
                    .catchUpWait(forwarderCatchUp);
            }
            else {
                builder.placement((address, view) -> "silo-1");
            }
            SiloRouting routing = builder.build();
            ActorRuntime runtime = routing.configure(ActorRuntime.builder()
                .callTimeout(callTimeout)
                .actor(TallyActor.class, TallyActor::new)).build();
            SiloAddress address = routing.listen(runtime,
                    new JacksonPayloadCodec(JsonMapper.builder().build(), runtime, List.of()));
            this.routings.add(routing);
            this.runtimes.add(runtime);
            Instant now = Instant.now();
            this.entries.add(new SiloEntry(siloId, address, now, SiloStatus.ACTIVE, now, 1, Set.of("Tally"),
                    List.of()));
        }
        this.network.cut("silo-1", "silo-2");
        this.network.cut("silo-1", "silo-3");
    }

    /** A view source that reads a view one version newer each time it is asked to read membership again. */
    private static final class ReadingNewerViewSource extends HeldViewSource {

        ReadingNewerViewSource(ClusterView first) {
            install(first);
        }

        @Override
        public void refreshIfOlderThan(long seenVersion) {
            super.refreshIfOlderThan(seenVersion);
            ClusterView current = current();
            install(ClusterView.of(MembershipSnapshot.of(current.version() + 1,
                    List.copyOf(current.membership().silos().values())), 150));
        }
    }

    /** The forwarder's metrics. */
    private static final class RecordingMetrics implements RoutingMetrics {

        final Queue<String> forwarded = new ConcurrentLinkedQueue<>();

        final Queue<String> rerouted = new ConcurrentLinkedQueue<>();

        final Queue<Throwable> failed = new ConcurrentLinkedQueue<>();

        @Override
        public void forwarded(String ownerSiloId) {
            this.forwarded.add(ownerSiloId);
        }

        @Override
        public void rerouted(String refusingSiloId) {
            this.rerouted.add(refusingSiloId);
        }

        @Override
        public void failedForMembership(Throwable failure) {
            this.failed.add(failure);
        }
    }

    /** A tally that one-way calls add to. */
    public interface Tally extends Actor {

        @OneWay
        void add(int amount);
    }

    @QuarkActor
    public static class TallyActor extends AbstractActor implements Tally {

        @Override
        public void add(int amount) {
            ADDED.computeIfAbsent(actorId(), (key) -> new AtomicInteger()).addAndGet(amount);
            if (amount < 0) {
                throw new IllegalArgumentException("A tally adds no negative amount: " + amount);
            }
        }
    }
}
