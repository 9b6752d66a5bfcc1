package dev.quark.cluster.routing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.IntStream;

import dev.quark.cluster.membership.ClusterView;
import dev.quark.cluster.membership.MembershipSnapshot;
import dev.quark.cluster.membership.SiloAddress;
import dev.quark.cluster.membership.SiloEntry;
import dev.quark.cluster.membership.SiloStatus;
import dev.quark.cluster.placement.HashPlacementDirector;
import dev.quark.cluster.transport.Envelope;
import dev.quark.cluster.transport.jackson.JacksonPayloadCodec;
import dev.quark.runtime.ActorAddress;
import dev.quark.runtime.ActorRuntime;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A call from a silo with a newer membership view than the receiving silo's waits for that view without holding
 * the transport's receiving thread, is served with the view once it arrives, at the latest after a second, and
 * the calls of one sender keep their order meanwhile.
 */
class ViewWaitsTests {

    private static final String TYPE = "Tally";

    private static final Executor VIRTUAL_THREADS = (task) -> Thread.ofVirtual().start(task);

    private final CapturingTransport transport = new CapturingTransport();

    private final HeldViewSource views = new HeldViewSource();

    private final SiloRouting routing = SiloRouting.builder("silo-1", this.transport).build();

    private final ActorRuntime runtime = this.routing.configure(ActorRuntime.builder()).build();

    /** The calling silo hosts no tallies. */
    private final SiloEntry caller = entry("silo-0", 9000, Set.of());

    private final SiloEntry self = entry("silo-1", 9001, Set.of(TYPE));

    private final SiloEntry joined = entry("silo-2", 9002, Set.of(TYPE));

    /** An actor silo-1 owns alone, and silo-2 once it has joined. */
    private final String id = IntStream.range(0, 10_000)
        .mapToObj((i) -> "tally-" + i)
        .filter((candidate) -> "silo-2".equals(new HashPlacementDirector()
            .ownerOf(new ActorAddress(TYPE, candidate), view(2, this.caller, this.self, this.joined))))
        .findFirst()
        .orElseThrow();

    ViewWaitsTests() {
        this.routing.listen(this.runtime, new JacksonPayloadCodec(JsonMapper.builder().build(), this.runtime,
                List.of()));
        this.views.install(view(1, this.caller, this.self));
        this.routing.follow(this.views);
    }

    @AfterEach
    void close() {
        this.routing.close();
        this.runtime.close();
    }

    @Test
    void callFromASiloWithANewerViewWaitsForItWithoutHoldingTheReceivingThreadAndIsServedWithIt() throws Exception {
        this.transport.handler().receive(call(1, 2));

        assertThat(this.views.refreshesAskedFor).contains(2L);
        assertThat(this.transport.sent).as("nothing served or refused before the receiving thread returned").isEmpty();
        assertThat(this.routing.awaitIdle(Duration.ZERO)).as("a parked call is in progress").isFalse();
        this.views.install(view(2, this.caller, this.self, this.joined));

        Envelope passedOn = this.transport.next();
        assertThat(passedOn.kind()).isEqualTo(Envelope.Kind.REQUEST);
        assertThat(passedOn.targetSiloId()).as("the owner in the newer view").isEqualTo("silo-2");
        assertThat(passedOn.forwardCount()).isEqualTo(1);
    }

    @Test
    void callWhoseViewDoesNotComeIsServedWithTheViewThisSiloHasAfterASecond() throws Exception {
        long started = System.nanoTime();
        this.transport.handler().receive(call(1, 2));
        assertThat(this.transport.sent).as("nothing served or refused before the receiving thread returned").isEmpty();

        Envelope answer = this.transport.next();
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofMillis(900));
        assertThat(answer.kind()).as("served here, which owns it in version 1: the type is not hosted")
            .isEqualTo(Envelope.Kind.ERROR);
        assertThat(answer.targetSiloId()).isEqualTo("silo-0");
        assertThat(answer.correlationId()).isEqualTo(1);
    }

    @Test
    void laterCallsOfTheSameSenderQueueBehindAParkedOneWhateverTheirVersion() throws Exception {
        this.transport.handler().receive(call(1, 2));
        this.transport.handler().receive(call(2, 1));
        this.transport.handler().receive(call(3, 2));
        assertThat(this.transport.sent).isEmpty();
        this.views.install(view(2, this.caller, this.self, this.joined));

        List<@Nullable String> order = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            order.add(this.transport.next().requestId());
        }
        assertThat(order).as("passed on to silo-2 in the order received").containsExactly("1", "2", "3");
    }

    @Test
    void aParkedCallWhoseServingThrowsDoesNotStrandTheOthersOrTheSendersLaterCalls() {
        ViewTracker tracker = tracker();
        List<String> served = new CopyOnWriteArrayList<>();
        ViewWaits waits = new ViewWaits(tracker, new SiloBinding(), Clock.systemUTC(), VIRTUAL_THREADS);
        Consumer<Envelope> serve = (request) -> {
            if ("1".equals(request.requestId())) {
                throw new IllegalStateException("serving call 1 failed");
            }
            served.add(request.requestId());
        };
        waits.admit(call(1, 2), serve);
        waits.admit(call(2, 2), serve);
        waits.admit(call(3, 1), serve);
        tracker.install(view(2, this.caller, this.self, this.joined));

        await().atMost(Duration.ofSeconds(10)).until(() -> served.size() == 2);
        assertThat(served).as("the rest of the batch is served").containsExactly("2", "3");
        waits.admit(call(4, 2), serve);
        assertThat(served).as("a later call of the sender is served at once").containsExactly("2", "3", "4");
        assertThat(waits.size()).isZero();
    }

    @Test
    void aParkedCallTakenOffItsQueueCountsUntilItIsServed() throws Exception {
        ViewTracker tracker = tracker();
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ViewWaits waits = new ViewWaits(tracker, new SiloBinding(), Clock.systemUTC(), VIRTUAL_THREADS);
        waits.admit(call(1, 2), (request) -> {
            entered.countDown();
            try {
                release.await(10, TimeUnit.SECONDS);
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        });
        assertThat(waits.size()).isEqualTo(1);
        tracker.install(view(2, this.caller, this.self, this.joined));
        assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();

        assertThat(waits.size()).as("in hand, not yet counted by whoever serves it").isEqualTo(1);
        release.countDown();
        await().atMost(Duration.ofSeconds(10)).until(() -> waits.size() == 0);
    }

    /**
     * The table lost its data: the caller read the table that grew again, whose versions are lower than those of the
     * lost one this silo still routes by. Compared by version alone, the call would be served at once with the lost
     * table's view.
     */
    @Test
    void callFromASiloThatReadANewIncarnationOfTheTableWaitsForItAndIsServedWithIt() throws Exception {
        this.views.install(view("lost", 40, this.caller, this.self));

        this.transport.handler().receive(call(1, "regrown", 2));

        assertThat(this.views.incarnationsAskedFor).containsExactly("regrown");
        assertThat(this.transport.sent).as("parked until this silo has read that table").isEmpty();
        this.views.install(view("regrown", 2, this.caller, this.self, this.joined));

        Envelope passedOn = this.transport.next();
        assertThat(passedOn.kind()).isEqualTo(Envelope.Kind.REQUEST);
        assertThat(passedOn.targetSiloId()).as("the owner in the new table's view").isEqualTo("silo-2");
        assertThat(passedOn.membershipIncarnation()).isEqualTo("regrown");
        assertThat(passedOn.membershipVersion()).isEqualTo(2);
    }

    /**
     * The caller has not read the new table yet: its version of the lost one is higher than this silo's of the new
     * one, but says nothing newer, so the call is neither parked nor a reason to read the table again.
     */
    @Test
    void callFromASiloStillOnALostIncarnationOfTheTableIsServedAtOnceWithoutARead() throws Exception {
        this.views.install(view("lost", 40, this.caller, this.self));
        this.views.install(view("regrown", 2, this.caller, this.self, this.joined));

        this.transport.handler().receive(call(1, "lost", 41));

        Envelope passedOn = this.transport.next();
        assertThat(passedOn.targetSiloId()).as("the owner in this silo's view").isEqualTo("silo-2");
        assertThat(passedOn.membershipIncarnation()).as("this silo's view, not the caller's").isEqualTo("regrown");
        // A call is parked exactly when a read is asked for.
        assertThat(this.views.refreshesAskedFor).as("not parked, no read asked for").isEmpty();
    }

    private ViewTracker tracker() {
        ViewTracker tracker = new ViewTracker("silo-1", Clock.systemUTC(), Duration.ofSeconds(10));
        tracker.install(view(1, this.caller, this.self));
        return tracker;
    }

    private Envelope call(long messageId, long membershipVersion) {
        return call(messageId, Envelope.NO_INCARNATION, membershipVersion);
    }

    private Envelope call(long messageId, String incarnation, long membershipVersion) {
        return new Envelope(messageId, messageId, Envelope.Kind.REQUEST, "silo-0", 1, this.caller.address(),
                "silo-1", 0, TYPE, this.id, 0x1234, new byte[0], 0, Long.toString(messageId), Map.of(),
                System.currentTimeMillis() + 30_000, membershipVersion, incarnation, 0);
    }

    private static SiloEntry entry(String siloId, int port, Set<String> actorTypes) {
        Instant now = Instant.now();
        return new SiloEntry(siloId, new SiloAddress("127.0.0.1", port), now, SiloStatus.ACTIVE, now, 1, actorTypes,
                List.of());
    }

    private static ClusterView view(long version, SiloEntry... entries) {
        return ClusterView.of(MembershipSnapshot.of(version, List.of(entries)), 150);
    }

    private static ClusterView view(String incarnation, long version, SiloEntry... entries) {
        return ClusterView.of(MembershipSnapshot.of(incarnation, version, List.of(entries)), 150);
    }
}
