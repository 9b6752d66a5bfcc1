package dev.quark.cluster.routing;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import dev.quark.cluster.membership.ClusterView;
import dev.quark.cluster.membership.MembershipSnapshot;
import dev.quark.cluster.membership.SiloAddress;
import dev.quark.cluster.membership.SiloEntry;
import dev.quark.cluster.membership.SiloStatus;
import dev.quark.cluster.transport.Envelope;
import dev.quark.cluster.transport.jackson.JacksonPayloadCodec;
import dev.quark.runtime.ActorRuntime;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A leaving silo waits, before it reports itself idle, until the other silos of its view, and the cluster clients
 * it holds links to, have answered that they read its leave (their calls routed with the older view arrive before
 * that answer); one that does not answer is waited for at most half the timeout, and not at all once it is dead
 * (a silo) or cannot be sent the notice (a client). A silo that hears of a leave answers
 * once its own view has reached the leave's version, reading the table at once.
 */
class LeaveAnnouncementsTests {

    private static final SiloAddress CLIENT = new SiloAddress("127.0.0.1", 9100);

    /** Where client-1 lived before it restarted at {@link #CLIENT}. */
    private static final SiloAddress OLD_CLIENT = new SiloAddress("127.0.0.1", 9101);

    private final CapturingTransport transport = new CapturingTransport();

    private final HeldViewSource views = new HeldViewSource();

    /** A wait for answers longer than any test: a leave that goes on early shows the answers were counted. */
    private final SiloRouting routing = SiloRouting.builder("silo-1", this.transport)
        .leaveSeenWait(Duration.ofSeconds(60))
        .build();

    private final ActorRuntime runtime = this.routing.configure(ActorRuntime.builder()).build();

    private final SiloEntry first = entry("silo-0", 9000, SiloStatus.ACTIVE);

    private final SiloEntry self = entry("silo-1", 9001, SiloStatus.ACTIVE);

    private final SiloEntry third = entry("silo-2", 9002, SiloStatus.ACTIVE);

    LeaveAnnouncementsTests() {
        this.routing.listen(this.runtime, new JacksonPayloadCodec(JsonMapper.builder().build(), this.runtime,
                List.of()));
        this.views.install(view(1, this.first, this.self, this.third));
        this.routing.follow(this.views);
    }

    @AfterEach
    void close() {
        this.routing.close();
        this.runtime.close();
    }

    @Test
    void aLeavingSiloIsIdleOnlyOnceEveryOtherSiloHasAnsweredThatItReadTheLeave() throws Exception {
        this.views.install(view(2, this.first, this.self.withStatus(SiloStatus.SHUTTING_DOWN), this.third));
        CompletableFuture<Boolean> idle = CompletableFuture.supplyAsync(
                () -> this.routing.awaitIdle(Duration.ofSeconds(240)), (task) -> Thread.ofVirtual().start(task));

        List<Envelope> announcements = List.of(this.transport.next(), this.transport.next());
        assertThat(announcements).extracting(Envelope::targetSiloId).containsExactlyInAnyOrder("silo-0", "silo-2");
        assertThat(announcements).allSatisfy((notice) -> {
            assertThat(notice.kind()).isEqualTo(Envelope.Kind.NOTICE);
            assertThat(notice.metadata()).containsEntry(SiloNotices.TOPIC, LeaveAnnouncements.LEAVING_TOPIC);
            assertThat(LeaveAnnouncements.decode(notice.payload()))
                .isEqualTo(new LeaveAnnouncements.Announcement("silo-1", 2));
        });
        this.transport.handler().receive(seen("silo-0", 2));
        assertThat(idle).as("silo-2 has not answered yet").isNotDone();
        assertThat(idle.completeOnTimeout(false, 200, TimeUnit.MILLISECONDS).get())
            .as("still waiting for silo-2 after 200 ms")
            .isFalse();
    }

    @Test
    void aLeavingSiloGoesOnOnceTheLastSiloAnswers() throws Exception {
        this.views.install(view(2, this.first, this.self.withStatus(SiloStatus.SHUTTING_DOWN), this.third));
        long started = System.nanoTime();
        CompletableFuture<Boolean> idle = CompletableFuture.supplyAsync(
                () -> this.routing.awaitIdle(Duration.ofSeconds(240)), (task) -> Thread.ofVirtual().start(task));
        this.transport.next();
        this.transport.next();

        this.transport.handler().receive(seen("silo-2", 2));
        this.transport.handler().receive(seen("silo-0", 2));

        assertThat(idle).succeedsWithin(Duration.ofSeconds(30)).isEqualTo(true);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).as("long before the 60 s wait for answers")
            .isLessThan(Duration.ofSeconds(30));
    }

    @Test
    void anAnswerForAnOlderVersionDoesNotCount() {
        this.views.install(view(2, this.first, this.self.withStatus(SiloStatus.SHUTTING_DOWN), this.third));
        CompletableFuture<Boolean> idle = CompletableFuture.supplyAsync(
                () -> this.routing.awaitIdle(Duration.ofSeconds(240)), (task) -> Thread.ofVirtual().start(task));
        drainAnnouncements();

        this.transport.handler().receive(seen("silo-0", 1));
        this.transport.handler().receive(seen("silo-2", 2));

        assertThat(idle.completeOnTimeout(false, 300, TimeUnit.MILLISECONDS)).succeedsWithin(Duration.ofSeconds(5))
            .as("silo-0 answered for version 1 only")
            .isEqualTo(false);
    }

    @Test
    void aSiloThatNeverAnswersIsWaitedForAtMostHalfTheTimeout() {
        // Half of 600 ms is shorter than the 60 s this routing would wait otherwise.
        this.views.install(view(2, this.first, this.self.withStatus(SiloStatus.SHUTTING_DOWN), this.third));
        long started = System.nanoTime();

        assertThat(this.routing.awaitIdle(Duration.ofMillis(600))).as("idle: nothing in progress").isTrue();

        Duration took = Duration.ofNanos(System.nanoTime() - started);
        assertThat(took).isGreaterThanOrEqualTo(Duration.ofMillis(300)).isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void aSiloThatTheViewShowsDeadIsNotWaitedFor() throws Exception {
        this.views.install(view(2, this.first, this.self.withStatus(SiloStatus.SHUTTING_DOWN), this.third));
        CompletableFuture<Boolean> idle = CompletableFuture.supplyAsync(
                () -> this.routing.awaitIdle(Duration.ofSeconds(240)), (task) -> Thread.ofVirtual().start(task));
        drainAnnouncements();
        this.transport.handler().receive(seen("silo-0", 2));

        this.views.install(view(3, this.first, this.self.withStatus(SiloStatus.SHUTTING_DOWN),
                this.third.withStatus(SiloStatus.DEAD)));

        assertThat(idle).as("long before the 60 s wait for answers").succeedsWithin(Duration.ofSeconds(30))
            .isEqualTo(true);
    }

    @Test
    void aSiloThatIsNotLeavingAsksNobody() {
        assertThat(this.routing.awaitIdle(Duration.ofSeconds(20))).isTrue();

        assertThat(this.transport.sent).isEmpty();
    }

    @Test
    void aSiloThatHearsOfALeaveReadsTheTableAndAnswersOnceItsViewHasReachedTheLeavesVersion() throws Exception {
        this.transport.handler().receive(notice(LeaveAnnouncements.LEAVING_TOPIC, "silo-0", 2));

        await("a read of the table asked for at once").atMost(Duration.ofSeconds(5))
            .until(() -> this.views.refreshesAskedFor.contains(2L));
        assertThat(this.transport.sent.poll(200, TimeUnit.MILLISECONDS)).as("no answer before version 2").isNull();
        this.views.install(view(2, this.first.withStatus(SiloStatus.SHUTTING_DOWN), this.self, this.third));

        Envelope answer = this.transport.next();
        assertThat(answer.kind()).isEqualTo(Envelope.Kind.NOTICE);
        assertThat(answer.targetSiloId()).isEqualTo("silo-0");
        assertThat(answer.metadata()).containsEntry(SiloNotices.TOPIC, LeaveAnnouncements.SEEN_TOPIC);
        assertThat(LeaveAnnouncements.decode(answer.payload()))
            .isEqualTo(new LeaveAnnouncements.Announcement("silo-1", 2));
    }

    /**
     * The table lost its data and grew again: a leave announced at a low version of the new table is not answered by
     * a silo still on the lost one, whatever the lost table's version, until it has read the new table (the leave's
     * version is paired with the incarnation its notice's envelope names).
     */
    @Test
    void aSiloStillOnALostTableAnswersALeaveOfTheNewTableOnlyOnceItHasReadIt() throws Exception {
        this.views.install(view("lost", 41, this.first, this.self, this.third));

        this.transport.handler().receive(notice(LeaveAnnouncements.LEAVING_TOPIC, "silo-0", "regrown", 2));

        assertThat(this.transport.sent.poll(300, TimeUnit.MILLISECONDS)).as("no answer from the lost table's view")
            .isNull();
        this.views.install(view("regrown", 2, this.first.withStatus(SiloStatus.SHUTTING_DOWN), this.self,
                this.third));
        assertThat(LeaveAnnouncements.decode(this.transport.next().payload()))
            .isEqualTo(new LeaveAnnouncements.Announcement("silo-1", 2));
    }

    @Test
    void aSiloThatReadsTheLeaverAsDeadAlreadyDoesNotAnswer() throws Exception {
        this.views.install(view(3, this.first.withStatus(SiloStatus.DEAD), this.self, this.third));

        this.transport.handler().receive(notice(LeaveAnnouncements.LEAVING_TOPIC, "silo-0", 2));

        assertThat(this.transport.sent.poll(300, TimeUnit.MILLISECONDS)).as("no answer, no link to a closed silo")
            .isNull();
    }

    @Test
    void aLeaveNoticeOfAnotherFormatOrCutShortIsDropped() {
        assertThat(LeaveAnnouncements.decode(new byte[] { 2, 0, 0 })).isNull();
        byte[] whole = LeaveAnnouncements.encode("silo-0", 7);
        assertThat(LeaveAnnouncements.decode(Arrays.copyOf(whole, whole.length - 1))).isNull();
        assertThat(LeaveAnnouncements.decode(whole)).isEqualTo(new LeaveAnnouncements.Announcement("silo-0", 7));
    }

    @Test
    void aLeavingSiloAlsoAsksTheClientsItHoldsLinksToAndWaitsForTheirAnswers() throws Exception {
        this.transport.handler().receive(fromClient("quark-test-nothing", new byte[0]));
        this.views.install(view(2, this.first, this.self.withStatus(SiloStatus.SHUTTING_DOWN), this.third));
        CompletableFuture<Boolean> idle = CompletableFuture.supplyAsync(
                () -> this.routing.awaitIdle(Duration.ofSeconds(240)), (task) -> Thread.ofVirtual().start(task));

        List<Envelope> announcements = List.of(this.transport.next(), this.transport.next(), this.transport.next());
        assertThat(announcements).extracting(Envelope::targetSiloId)
            .containsExactlyInAnyOrder("silo-0", "silo-2", "client-1");
        Envelope toClient = announcements.stream()
            .filter((notice) -> notice.targetSiloId().equals("client-1"))
            .findFirst()
            .orElseThrow();
        assertThat(toClient.kind()).isEqualTo(Envelope.Kind.NOTICE);
        assertThat(toClient.targetEpoch()).as("the incarnation the client's envelopes carried").isEqualTo(7);
        assertThat(toClient.metadata()).containsEntry(SiloNotices.TOPIC, LeaveAnnouncements.LEAVING_TOPIC);
        assertThat(LeaveAnnouncements.decode(toClient.payload()))
            .isEqualTo(new LeaveAnnouncements.Announcement("silo-1", 2));
        this.transport.handler().receive(seen("silo-0", 2));
        this.transport.handler().receive(seen("silo-2", 2));
        assertThat(idle.completeOnTimeout(false, 300, TimeUnit.MILLISECONDS).get())
            .as("still waiting for the client after 300 ms")
            .isFalse();
    }

    @Test
    void aLeavingSiloGoesOnOnceTheClientHasAnsweredToo() {
        this.transport.handler().receive(fromClient("quark-test-nothing", new byte[0]));
        this.views.install(view(2, this.first, this.self.withStatus(SiloStatus.SHUTTING_DOWN), this.third));
        long started = System.nanoTime();
        CompletableFuture<Boolean> idle = CompletableFuture.supplyAsync(
                () -> this.routing.awaitIdle(Duration.ofSeconds(240)), (task) -> Thread.ofVirtual().start(task));
        this.transport.handler().receive(seen("silo-0", 2));
        this.transport.handler().receive(seen("silo-2", 2));

        this.transport.handler().receive(fromClient(LeaveAnnouncements.SEEN_TOPIC,
                LeaveAnnouncements.encode("client-1", 2)));

        assertThat(idle).succeedsWithin(Duration.ofSeconds(30)).isEqualTo(true);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).as("long before the 60 s wait for answers")
            .isLessThan(Duration.ofSeconds(30));
    }

    @Test
    void aClientThatNeverAnswersIsWaitedForAtMostHalfTheTimeout() {
        this.transport.handler().receive(fromClient("quark-test-nothing", new byte[0]));
        this.views.install(view(2, this.first, this.self.withStatus(SiloStatus.SHUTTING_DOWN), this.third));
        CompletableFuture.runAsync(() -> {
            this.transport.handler().receive(seen("silo-0", 2));
            this.transport.handler().receive(seen("silo-2", 2));
        }, (task) -> Thread.ofVirtual().start(task));
        long started = System.nanoTime();

        assertThat(this.routing.awaitIdle(Duration.ofMillis(600))).as("idle: nothing in progress").isTrue();

        Duration took = Duration.ofNanos(System.nanoTime() - started);
        assertThat(took).isGreaterThanOrEqualTo(Duration.ofMillis(300)).isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void aClientTheNoticeCannotReachIsNotWaitedFor() {
        this.transport.handler().receive(fromClient("quark-test-nothing", new byte[0]));
        this.transport.unreachable.add(CLIENT);
        this.views.install(view(2, this.first, this.self.withStatus(SiloStatus.SHUTTING_DOWN), this.third));
        long started = System.nanoTime();
        CompletableFuture<Boolean> idle = CompletableFuture.supplyAsync(
                () -> this.routing.awaitIdle(Duration.ofSeconds(240)), (task) -> Thread.ofVirtual().start(task));

        this.transport.handler().receive(seen("silo-0", 2));
        this.transport.handler().receive(seen("silo-2", 2));

        assertThat(idle).succeedsWithin(Duration.ofSeconds(30)).isEqualTo(true);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).as("long before the 60 s wait for answers")
            .isLessThan(Duration.ofSeconds(30));
    }

    @Test
    void aClientHeardFromAtTwoAddressesIsToldAtEachAndTheLeaveGoesOnOnceItAnswers() throws Exception {
        // client-1 restarted at CLIENT within the idle timeout; its old address takes envelopes but never answers.
        this.transport.silent.add(OLD_CLIENT);
        this.transport.handler().receive(fromClient(OLD_CLIENT, "quark-test-nothing", new byte[0]));
        this.transport.handler().receive(fromClient("quark-test-nothing", new byte[0]));
        this.views.install(view(2, this.first, this.self.withStatus(SiloStatus.SHUTTING_DOWN), this.third));
        long started = System.nanoTime();
        CompletableFuture<Boolean> idle = CompletableFuture.supplyAsync(
                () -> this.routing.awaitIdle(Duration.ofSeconds(240)), (task) -> Thread.ofVirtual().start(task));

        List<Envelope> announcements = List.of(this.transport.next(), this.transport.next(), this.transport.next());
        assertThat(announcements).as("the notice reaches the client's live address")
            .extracting(Envelope::targetSiloId)
            .containsExactlyInAnyOrder("silo-0", "silo-2", "client-1");
        Envelope toOldAddress = this.transport.sentToSilent.poll(10, TimeUnit.SECONDS);
        assertThat(toOldAddress).as("the notice is sent to the client's old address too").isNotNull();
        assertThat(toOldAddress.targetSiloId()).isEqualTo("client-1");
        this.transport.handler().receive(seen("silo-0", 2));
        this.transport.handler().receive(seen("silo-2", 2));
        this.transport.handler().receive(fromClient(LeaveAnnouncements.SEEN_TOPIC,
                LeaveAnnouncements.encode("client-1", 2)));

        assertThat(idle).as("the client's answer ends the wait at its silent address too")
            .succeedsWithin(Duration.ofSeconds(30))
            .isEqualTo(true);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).as("long before the 60 s wait for answers")
            .isLessThan(Duration.ofSeconds(30));
    }

    @Test
    void aSiloThatIsNotLeavingAsksNoClientEither() {
        this.transport.handler().receive(fromClient("quark-test-nothing", new byte[0]));

        assertThat(this.routing.awaitIdle(Duration.ofSeconds(20))).isTrue();

        assertThat(this.transport.sent).isEmpty();
    }

    private void drainAnnouncements() {
        List<Envelope> announcements = new ArrayList<>();
        try {
            announcements.add(this.transport.next());
            announcements.add(this.transport.next());
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
        assertThat(announcements).hasSize(2);
    }

    private Envelope seen(String siloId, long version) {
        return notice(LeaveAnnouncements.SEEN_TOPIC, siloId, version);
    }

    private Envelope notice(String topic, String from, long version) {
        return notice(topic, from, Envelope.NO_INCARNATION, version);
    }

    /** A notice from a silo whose view is of a table incarnation, at a version. */
    private Envelope notice(String topic, String from, String incarnation, long version) {
        SiloEntry sender = from.equals("silo-0") ? this.first : this.third;
        return new Envelope(1, 0, Envelope.Kind.NOTICE, from, 1, sender.address(), "silo-1", 1, null, null, 0,
                LeaveAnnouncements.encode(from, version), 0, null, Map.of(SiloNotices.TOPIC, topic), 0, version,
                incarnation, 0);
    }

    /** An envelope from cluster client client-1, incarnation 7, which is in no view. */
    private static Envelope fromClient(String topic, byte[] payload) {
        return fromClient(CLIENT, topic, payload);
    }

    /** An envelope from cluster client client-1, incarnation 7, at the given address. */
    private static Envelope fromClient(SiloAddress address, String topic, byte[] payload) {
        return new Envelope(1, 0, Envelope.Kind.NOTICE, "client-1", 7, address, "silo-1", 1, null, null, 0, payload,
                0, null, Map.of(SiloNotices.TOPIC, topic), 0, 1, 0);
    }

    private static SiloEntry entry(String siloId, int port, SiloStatus status) {
        Instant now = Instant.now();
        return new SiloEntry(siloId, new SiloAddress("127.0.0.1", port), now, status, now, 1, Set.of(), List.of());
    }

    private static ClusterView view(long version, SiloEntry... entries) {
        return ClusterView.of(MembershipSnapshot.of(version, List.of(entries)), 150);
    }

    private static ClusterView view(String incarnation, long version, SiloEntry... entries) {
        return ClusterView.of(MembershipSnapshot.of(incarnation, version, List.of(entries)), 150);
    }
}
