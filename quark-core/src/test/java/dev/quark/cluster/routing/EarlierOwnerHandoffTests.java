package dev.quark.cluster.routing;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.IntStream;

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
import dev.quark.cluster.transport.PayloadCodec;
import dev.quark.cluster.transport.grpc.LinkBrokenException;
import dev.quark.cluster.transport.jackson.JacksonPayloadCodec;
import dev.quark.runtime.ActorAddress;
import dev.quark.runtime.ActorRuntime;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A {@code HANDOFF} passed on to the earlier owners of an actor ({@link EarlierOwnerHandoff}), seen from one real
 * silo whose peers the test plays: the bounds of its headers, the silo asked passing it on, the asker naming an
 * earlier owner that did not give the actor up, a busy previous owner asked again for a bounded time, and a
 * {@code HANDOFF} whose link broke before its answer came asked again once the link is up.
 */
class EarlierOwnerHandoffTests {

    private static final SiloAddress SILO_1 = new SiloAddress("127.0.0.1", 9101);

    private static final SiloAddress SILO_2 = new SiloAddress("127.0.0.1", 9102);

    private static final SiloAddress SILO_3 = new SiloAddress("127.0.0.1", 9103);

    private static final Set<String> TYPES = Set.of("Gauge");

    private final CapturingTransport transport = new CapturingTransport();

    private final HeldViewSource source = new HeldViewSource();

    private final HashPlacementDirector placement = new HashPlacementDirector();

    private SiloRouting routing;

    private ActorRuntime runtime;

    private PayloadCodec codec;

    private SiloAddress address;

    /** Holds every turn of {@link Gauge#hold()} until counted down. */
    private static volatile CountDownLatch holding = new CountDownLatch(0);

    /** Released once per turn of {@link Gauge#hold()} that started. */
    private static final Semaphore held = new Semaphore(0);

    @AfterEach
    void close() {
        holding.countDown();
        if (this.routing != null) {
            this.routing.close();
        }
        if (this.runtime != null) {
            this.runtime.close();
        }
    }

    // ------------------------------------------------------------------ headers

    @Test
    void hopsThatAreAbsentOrCannotBeReadCountAsTheLimitNeverAsZero() {
        assertThat(EarlierOwnerHandoff.hops(Map.of())).isEqualTo(EarlierOwnerHandoff.MAX_HOPS);
        for (String bad : List.of("", " ", "x", "-1", "3", "99", "1.0", "0x1", "00000000000001")) {
            assertThat(EarlierOwnerHandoff.hops(Map.of(EarlierOwnerHandoff.HOPS, bad))).as("'" + bad + "'")
                .isEqualTo(EarlierOwnerHandoff.MAX_HOPS);
        }
        assertThat(EarlierOwnerHandoff.hops(Map.of(EarlierOwnerHandoff.HOPS, "0"))).isZero();
        assertThat(EarlierOwnerHandoff.hops(Map.of(EarlierOwnerHandoff.HOPS, "1"))).isEqualTo(1);
    }

    @Test
    void aListOfSilosIsReadWithinItsBounds() {
        assertThat(EarlierOwnerHandoff.silos(null)).isEmpty();
        assertThat(EarlierOwnerHandoff.silos(" silo-1, ,silo-2,silo-1")).containsExactly("silo-1", "silo-2");
        List<String> many = IntStream.range(0, EarlierOwnerHandoff.MAX_ASKED + 1).mapToObj((i) -> "s" + i).toList();
        assertThat(EarlierOwnerHandoff.silos(String.join(",", many))).as("too many").isNull();
        assertThat(EarlierOwnerHandoff.silos(String.join(",", many.subList(0, EarlierOwnerHandoff.MAX_ASKED))))
            .hasSize(EarlierOwnerHandoff.MAX_ASKED);
        assertThat(EarlierOwnerHandoff.silos("s".repeat(EarlierOwnerHandoff.MAX_LIST_CHARS + 1))).as("too long")
            .isNull();
        assertThat(EarlierOwnerHandoff.silos(" ".repeat(EarlierOwnerHandoff.MAX_LIST_CHARS + 1)))
            .as("too long, though blank: not scanned").isNull();
        assertThat(EarlierOwnerHandoff.firstAsk("silo-3", Set.of("silo-2")))
            .containsEntry(EarlierOwnerHandoff.HOPS, "0")
            .containsEntry(EarlierOwnerHandoff.ASKED, "silo-3,silo-2");
    }

    // ------------------------------------------------------------------ the silo asked

    /**
     * silo-2 joined after silo-1 owned the actor, and silo-3 joined after silo-2: silo-3 asks silo-2, which never
     * ran the actor, and silo-2 passes the question on to silo-1 before it confirms.
     */
    @Test
    void aSiloAskedPassesTheHandOffOnToTheEarlierOwnerOfItsOwnViewsBeforeItConfirms() throws InterruptedException {
        String id = startAsTheMiddleOwner();
        this.transport.handler().receive(handoffFromSilo3(501, id, Map.of(EarlierOwnerHandoff.HOPS, "0",
                EarlierOwnerHandoff.ASKED, "silo-3,silo-2")));

        Envelope passedOn = sentTo("silo-1", Envelope.Kind.HANDOFF);
        assertThat(passedOn.metadata()).containsEntry(EarlierOwnerHandoff.HOPS, "1");
        assertThat(EarlierOwnerHandoff.silos(passedOn.metadata().get(EarlierOwnerHandoff.ASKED)))
            .contains("silo-3", "silo-2", "silo-1");
        assertThat(this.transport.sent).as("no answer before silo-1's").noneMatch((sent) -> sent.correlationId() == 501);
        answer(passedOn, SILO_1, Envelope.Kind.HANDOFF_ACK, Envelope.noPayload(), Map.of());

        assertThat(answerTo(501).kind()).isEqualTo(Envelope.Kind.HANDOFF_ACK);
    }

    /**
     * As above, but silo-2's first view already shows it ACTIVE (the membership agent installs the view of its
     * own activation first): the owner before that view is only the guess (silo-1), and it is the one to ask.
     */
    @Test
    void aSiloWhoseFirstViewShowsItActivePassesTheHandOffOnToTheOwnerBeforeIt() throws InterruptedException {
        start("silo-2", Duration.ofSeconds(10));
        ClusterView two = view(2, entry("silo-1", SILO_1, SiloStatus.ACTIVE),
                entry("silo-2", this.address, SiloStatus.ACTIVE));
        ClusterView three = view(3, entry("silo-1", SILO_1, SiloStatus.ACTIVE),
                entry("silo-2", this.address, SiloStatus.ACTIVE), entry("silo-3", SILO_3, SiloStatus.ACTIVE));
        this.source.install(two);
        this.routing.follow(this.source);
        this.source.install(three);
        String id = idWhere((candidate) -> "silo-2".equals(ownerIn(candidate, two))
                && "silo-3".equals(ownerIn(candidate, three)));
        this.transport.handler().receive(handoffFromSilo3(507, id, Map.of(EarlierOwnerHandoff.HOPS, "0",
                EarlierOwnerHandoff.ASKED, "silo-3,silo-2")));

        Envelope passedOn = sentTo("silo-1", Envelope.Kind.HANDOFF);
        assertThat(passedOn.metadata()).containsEntry(EarlierOwnerHandoff.HOPS, "1");
        answer(passedOn, SILO_1, Envelope.Kind.HANDOFF_ACK, Envelope.noPayload(), Map.of());

        assertThat(answerTo(507).kind()).isEqualTo(Envelope.Kind.HANDOFF_ACK);
    }

    /** The request passed on carries the original asker's membership version, not the newer one of silo-2. */
    @Test
    void aHandOffPassedOnCarriesTheOriginalMembershipVersion() throws InterruptedException {
        String id = startAsTheMiddleOwner();
        this.transport.handler().receive(handoffFromSilo3(508, id, Map.of(EarlierOwnerHandoff.HOPS, "0",
                EarlierOwnerHandoff.ASKED, "silo-3,silo-2"), 2, 5_000));

        Envelope passedOn = sentTo("silo-1", Envelope.Kind.HANDOFF);
        assertThat(passedOn.membershipVersion()).isEqualTo(2);
    }

    /**
     * A silo asked that does not reach the asker's membership version in time answers busy (asked again), not a
     * refusal that a pass-on would turn into not released for good.
     */
    @Test
    void aSiloThatDoesNotCatchUpInTimeAnswersBusy() {
        String id = startAsTheMiddleOwner();
        this.transport.handler().receive(handoffFromSilo3(509, id, Map.of(EarlierOwnerHandoff.HOPS, "0",
                EarlierOwnerHandoff.ASKED, "silo-3,silo-2"), 9, 1_000));

        Envelope answer = answerTo(509);
        assertThat(answer.kind()).isEqualTo(Envelope.Kind.ERROR);
        assertThat(answer.metadata()).containsEntry(EarlierOwnerHandoff.BUSY, "true")
            .doesNotContainKey(DistributedDirectory.NOT_RELEASED);
    }

    @Test
    void theSilosAskedAreCutToTheCharacterBoundToo() {
        Set<String> asked = new java.util.LinkedHashSet<>();
        for (int i = 0; i < 10; i++) {
            asked.add(i + "s".repeat(999));
        }
        String joined = EarlierOwnerHandoff.joined(asked);
        assertThat(joined.length()).isLessThanOrEqualTo(EarlierOwnerHandoff.MAX_LIST_CHARS);
        assertThat(EarlierOwnerHandoff.silos(joined)).hasSize(4);
        assertThat(EarlierOwnerHandoff.silos(EarlierOwnerHandoff.firstAsk("silo-3", asked)
            .get(EarlierOwnerHandoff.ASKED))).isNotNull();
    }

    @Test
    void aSiloAskedNamesTheEarlierOwnerThatRefusedAsNotReleased() throws InterruptedException {
        String id = startAsTheMiddleOwner();
        this.transport.handler().receive(handoffFromSilo3(502, id, Map.of(EarlierOwnerHandoff.HOPS, "0",
                EarlierOwnerHandoff.ASKED, "silo-3,silo-2")));

        Envelope passedOn = sentTo("silo-1", Envelope.Kind.HANDOFF);
        answer(passedOn, SILO_1, Envelope.Kind.ERROR,
                this.codec.encodeFailure(new SiloUnavailableException("silo-1 refuses")), Map.of());

        Envelope answer = answerTo(502);
        assertThat(answer.kind()).isEqualTo(Envelope.Kind.ERROR);
        assertThat(answer.metadata()).containsEntry(DistributedDirectory.NOT_RELEASED, "silo-1")
            .as("a refusal, told apart from no answer").containsEntry(EarlierOwnerHandoff.REFUSED, "silo-1");
    }

    /**
     * A request passed on reaches a silo that lags behind the asker's membership version: it answers busy soon
     * (the asker asks again), not only when the asker's deadline nears.
     */
    @Test
    void aSiloAskedByARequestPassedOnAnswersBusySoonWhenItLagsBehind() {
        String id = startAsTheMiddleOwner();
        long started = System.nanoTime();
        this.transport.handler().receive(handoffFromSilo3(510, id, Map.of(EarlierOwnerHandoff.HOPS, "1",
                EarlierOwnerHandoff.ASKED, "silo-3,silo-2"), 9, 5_000));

        Envelope answer = answerTo(510);
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        assertThat(answer.metadata()).containsEntry(EarlierOwnerHandoff.BUSY, "true");
        assertThat(took).isLessThan(Duration.ofMillis(EarlierOwnerHandoff.PASSED_ON_CATCH_UP_MILLIS + 1_500));
    }

    /**
     * A request without the hop headers comes from a silo of the version before the pass-on, which takes a busy
     * answer for a refusal: the silo asked catches up until that silo's deadline nears, not for the short wait of a
     * request passed on.
     */
    @Test
    void aSiloAskedWithoutHopHeadersCatchesUpUntilTheDeadlineNears() {
        String id = startAsTheMiddleOwner();
        this.transport.handler().receive(handoffFromSilo3(513, id, Map.of(), 4, 5_000));

        await().during(Duration.ofMillis(EarlierOwnerHandoff.PASSED_ON_CATCH_UP_MILLIS + 500))
            .atMost(Duration.ofSeconds(3))
            .until(() -> answersTo(513) == 0);
        this.source.install(view(4, entry("silo-1", SILO_1, SiloStatus.ACTIVE),
                entry("silo-2", this.address, SiloStatus.ACTIVE), entry("silo-3", SILO_3, SiloStatus.ACTIVE)));

        assertThat(answerTo(513).kind()).isEqualTo(Envelope.Kind.HANDOFF_ACK);
    }

    /**
     * A request whose deadline lies far beyond silo-2's own hand-off timeout is held for that timeout at most: a
     * silo that does not catch up answers busy then, not when the asker's deadline nears.
     */
    @Test
    void aSiloAskedHoldsARequestForItsOwnHandOffTimeoutAtMost() {
        String id = startAsTheMiddleOwner(Duration.ofSeconds(1));
        this.transport.handler().receive(handoffFromSilo3(514, id, Map.of(), 9, 60_000));

        Envelope answer = await().atMost(Duration.ofSeconds(5)).until(() -> this.transport.sent.stream()
            .filter((sent) -> sent.correlationId() == 514 && sent.kind().isAnswer())
            .findFirst(), Optional::isPresent).orElseThrow();
        assertThat(answer.metadata()).containsEntry(EarlierOwnerHandoff.BUSY, "true");
    }

    /**
     * silo-2 is still ending its activation (a turn holds it) when silo-3's deadline nears: its busy answer names
     * silo-1, which owned the actor before it and is not asked before the activation has ended, and silo-2 itself
     * (a silo that passed the request on to silo-2 names only the silos its answer names); and it is the one
     * answer, even once the activation has ended.
     */
    @Test
    void aBusyAnswerGivenWhileTheActivationEndsNamesTheEarlierOwnersAndIsTheOnlyAnswer()
            throws InterruptedException {
        start("silo-2", Duration.ofSeconds(10));
        ClusterView joining = view(1, entry("silo-1", SILO_1, SiloStatus.ACTIVE),
                entry("silo-2", this.address, SiloStatus.JOINING));
        ClusterView two = view(2, entry("silo-1", SILO_1, SiloStatus.ACTIVE),
                entry("silo-2", this.address, SiloStatus.ACTIVE));
        ClusterView three = view(3, entry("silo-1", SILO_1, SiloStatus.ACTIVE),
                entry("silo-2", this.address, SiloStatus.ACTIVE), entry("silo-3", SILO_3, SiloStatus.ACTIVE));
        this.source.install(joining);
        this.routing.follow(this.source);
        this.source.install(two);
        String id = idWhere((candidate) -> "silo-2".equals(ownerIn(candidate, two))
                && "silo-3".equals(ownerIn(candidate, three)));
        holding = new CountDownLatch(1);
        CompletableFuture<String> turn = CompletableFuture.supplyAsync(() -> this.runtime.get(Gauge.class, id).hold());
        answer(sentTo("silo-1", Envelope.Kind.HANDOFF), SILO_1, Envelope.Kind.HANDOFF_ACK, Envelope.noPayload(),
                Map.of());
        assertThat(held.tryAcquire(10, TimeUnit.SECONDS)).as("the turn started").isTrue();
        this.source.install(three);

        this.transport.handler().receive(handoffFromSilo3(511, id, Map.of(EarlierOwnerHandoff.HOPS, "0",
                EarlierOwnerHandoff.ASKED, "silo-3,silo-2"), 3, 1_500));
        Envelope answer = answerTo(511);
        assertThat(answer.metadata()).containsEntry(EarlierOwnerHandoff.BUSY, "true");
        assertThat(EarlierOwnerHandoff.silos(answer.metadata().get(DistributedDirectory.NOT_RELEASED)))
            .containsExactlyInAnyOrder("silo-2", "silo-1");

        holding.countDown();
        assertThat(turn).succeedsWithin(Duration.ofSeconds(10));
        await().atMost(Duration.ofSeconds(10)).until(() -> !this.runtime.holdsActivation(new ActorAddress("Gauge", id)));
        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2))
            .until(() -> answersTo(511) == 1);
    }

    @Test
    void aSiloAskedNamesTheEarlierOwnerThatIsBusyInItsBusyAnswer() throws InterruptedException {
        String id = startAsTheMiddleOwner();
        this.transport.handler().receive(handoffFromSilo3(506, id, Map.of(EarlierOwnerHandoff.HOPS, "0",
                EarlierOwnerHandoff.ASKED, "silo-3,silo-2")));

        Envelope passedOn = sentTo("silo-1", Envelope.Kind.HANDOFF);
        answer(passedOn, SILO_1, Envelope.Kind.ERROR,
                this.codec.encodeFailure(new SiloUnavailableException("silo-1 is still ending it")),
                Map.of(EarlierOwnerHandoff.BUSY, "true"));

        Envelope answer = answerTo(506);
        assertThat(answer.kind()).isEqualTo(Envelope.Kind.ERROR);
        assertThat(answer.metadata()).containsEntry(EarlierOwnerHandoff.BUSY, "true")
            .containsEntry(DistributedDirectory.NOT_RELEASED, "silo-1");
    }

    @Test
    void aHandOffWithoutReadableHopsIsNotPassedOn() {
        String id = startAsTheMiddleOwner();
        this.transport.handler().receive(handoffFromSilo3(503, id, Map.of()));
        this.transport.handler().receive(handoffFromSilo3(504, id, Map.of(EarlierOwnerHandoff.HOPS, "zero")));

        assertThat(answerTo(503).kind()).isEqualTo(Envelope.Kind.HANDOFF_ACK);
        assertThat(answerTo(504).kind()).isEqualTo(Envelope.Kind.HANDOFF_ACK);
        assertThat(this.transport.sent).noneMatch((sent) -> sent.kind() == Envelope.Kind.HANDOFF);
    }

    @Test
    void aHandOffIsNotPassedOnToASiloAskedAlready() {
        String id = startAsTheMiddleOwner();
        this.transport.handler().receive(handoffFromSilo3(505, id, Map.of(EarlierOwnerHandoff.HOPS, "0",
                EarlierOwnerHandoff.ASKED, "silo-3,silo-1")));

        assertThat(answerTo(505).kind()).isEqualTo(Envelope.Kind.HANDOFF_ACK);
        assertThat(this.transport.sent).noneMatch((sent) -> sent.kind() == Envelope.Kind.HANDOFF);
    }

    // ------------------------------------------------------------------ the asker

    /**
     * silo-3 (the real silo) asks silo-2, which gave the actor up but names silo-1, an earlier owner it asked in
     * turn, as not released; silo-2 is then declared dead. Its departure says nothing about silo-1: the activation
     * must not start.
     */
    @Test
    void anEarlierOwnersRefusalIsNamedAsNotReleasedEvenWhenThePreviousOwnerIsGoneAfterwards()
            throws InterruptedException {
        String id = startAsTheNewOwner(Duration.ofSeconds(10));
        CompletableFuture<String> call = CompletableFuture.supplyAsync(() -> this.runtime.get(Gauge.class, id).where());

        Envelope asked = sentTo("silo-2", Envelope.Kind.HANDOFF);
        assertThat(asked.metadata()).containsEntry(EarlierOwnerHandoff.HOPS, "0");
        this.source.install(view(4, entry("silo-3", this.address, SiloStatus.ACTIVE),
                entry("silo-2", SILO_2, SiloStatus.DEAD), entry("silo-1", SILO_1, SiloStatus.ACTIVE)));
        answer(asked, SILO_2, Envelope.Kind.ERROR,
                this.codec.encodeFailure(new SiloUnavailableException("silo-1 did not confirm")),
                Map.of(DistributedDirectory.NOT_RELEASED, "silo-1"));

        assertThat(call).failsWithin(Duration.ofSeconds(10)).withThrowableThat()
            .withStackTraceContaining("silos [silo-1]")
            .withStackTraceContaining("did not confirm that they hold no activation");
    }

    // ------------------------------------------------------------------ broken links

    /**
     * The link to silo-2 breaks after silo-3's {@code HANDOFF} was written, before silo-2 answered: silo-3 does not
     * know whether silo-2 got it, and asks again once the link is up (silo-2 answers whether it holds the actor
     * now), instead of failing the activation and the call waiting for it.
     */
    @Test
    void aHandOffWhoseLinkBrokeBeforeItsAnswerIsAskedAgainOnceTheLinkIsUp() throws InterruptedException {
        String id = startAsTheNewOwner(Duration.ofSeconds(10));
        this.transport.linksComeBack = true;
        CompletableFuture<String> call = CompletableFuture.supplyAsync(() -> this.runtime.get(Gauge.class, id).where());

        Envelope asked = sentTo("silo-2", Envelope.Kind.HANDOFF);
        breakLinkOf(asked);
        Envelope again = sentTo("silo-2", Envelope.Kind.HANDOFF);
        assertThat(this.transport.reconnected).contains(SILO_2);
        assertThat(again.metadata()).isEqualTo(asked.metadata());
        assertThat(call).as("not before silo-2 confirms").isNotDone();
        answer(again, SILO_2, Envelope.Kind.HANDOFF_ACK, Envelope.noPayload(), Map.of());

        assertThat(call).succeedsWithin(Duration.ofSeconds(10)).isEqualTo("silo-3");
    }

    /**
     * A link that breaks every time is not asked over for ever: after {@link BrokenLinkWait#RETRIES} more attempts
     * the activation fails naming silo-2, as an unanswered hand-off does, and the call with it.
     */
    @Test
    void aHandOffWhoseLinkKeepsBreakingFailsTheActivationAfterTheRetries() throws InterruptedException {
        String id = startAsTheNewOwner(Duration.ofSeconds(10));
        this.transport.linksComeBack = true;
        CompletableFuture<String> call = CompletableFuture.supplyAsync(() -> this.runtime.get(Gauge.class, id).where());

        for (int attempt = 0; attempt <= BrokenLinkWait.RETRIES; attempt++) {
            breakLinkOf(sentTo("silo-2", Envelope.Kind.HANDOFF));
        }

        assertThat(call).failsWithin(Duration.ofSeconds(10)).withThrowableThat()
            .withStackTraceContaining("silo silo-2, which owned it until recently, did not confirm")
            .withStackTraceContaining("The link to silo-2 broke");
        assertThat(this.transport.reconnected).hasSize(BrokenLinkWait.RETRIES);
    }

    /**
     * The link breaks and, while silo-3 waits for it to be up, a view shows silo-2 dead: the wait ends, a dead silo
     * holds nothing, and the activation goes ahead without asking it again.
     */
    @Test
    void aHandOffWhoseLinkBrokeIsNotAskedAgainOfASiloShownDeadMeanwhile() throws InterruptedException {
        String id = startAsTheNewOwner(Duration.ofSeconds(10));
        this.transport.linksStayDown = true;
        CompletableFuture<String> call = CompletableFuture.supplyAsync(() -> this.runtime.get(Gauge.class, id).where());

        Envelope asked = sentTo("silo-2", Envelope.Kind.HANDOFF);
        breakLinkOf(asked);
        assertThat(this.transport.reconnected.poll(10, TimeUnit.SECONDS)).as("waits for the link").isEqualTo(SILO_2);
        long dead = System.nanoTime();
        this.source.install(view(3, entry("silo-2", SILO_2, SiloStatus.DEAD),
                entry("silo-3", this.address, SiloStatus.ACTIVE), entry("silo-1", SILO_1, SiloStatus.ACTIVE)));

        assertThat(call).succeedsWithin(Duration.ofSeconds(10)).isEqualTo("silo-3");
        assertThat(Duration.ofNanos(System.nanoTime() - dead)).as("not until the wait's bound")
            .isLessThan(Duration.ofMillis(BrokenLinkWait.MAX_WAIT_MILLIS / 2));
        assertThat(this.transport.sent).noneMatch((sent) -> sent.kind() == Envelope.Kind.HANDOFF);
    }

    /**
     * A transport that cannot tell when its link is up (the in-JVM one) does not hold the request: it is sent again
     * at once, and a link that stays cut fails the activation after the retries, as quickly as before.
     */
    @Test
    void aHandOffOverATransportThatCannotTellWhenItsLinkIsUpIsAskedAgainAtOnce() throws InterruptedException {
        String id = startAsTheNewOwner(Duration.ofSeconds(10));
        long started = System.nanoTime();
        CompletableFuture<String> call = CompletableFuture.supplyAsync(() -> this.runtime.get(Gauge.class, id).where());

        for (int attempt = 0; attempt <= BrokenLinkWait.RETRIES; attempt++) {
            breakLinkOf(sentTo("silo-2", Envelope.Kind.HANDOFF));
        }

        assertThat(call).failsWithin(Duration.ofSeconds(10)).withThrowableThat()
            .withStackTraceContaining("silo silo-2, which owned it until recently, did not confirm");
        assertThat(Duration.ofNanos(System.nanoTime() - started)).as("no wait for a link it cannot see")
            .isLessThan(Duration.ofMillis(BrokenLinkWait.MAX_WAIT_MILLIS));
    }

    /**
     * silo-2 answers busy, then its link breaks: silo-3 asks again once the link is up, and goes on asking it while
     * it is busy, for the busy wait (not cut to the first attempt's time).
     */
    @Test
    void aBusyPreviousOwnerWhoseLinkBreaksIsAskedAgainAndStillWaitedFor() throws InterruptedException {
        String id = startAsTheNewOwner(Duration.ofSeconds(10));
        this.transport.linksComeBack = true;
        CompletableFuture<String> call = CompletableFuture.supplyAsync(() -> this.runtime.get(Gauge.class, id).where());

        answerBusy(sentTo("silo-2", Envelope.Kind.HANDOFF));
        breakLinkOf(sentTo("silo-2", Envelope.Kind.HANDOFF));
        answerBusy(sentTo("silo-2", Envelope.Kind.HANDOFF));
        Envelope last = sentTo("silo-2", Envelope.Kind.HANDOFF);
        assertThat(call).as("still waiting while silo-2 is busy").isNotDone();
        answer(last, SILO_2, Envelope.Kind.HANDOFF_ACK, Envelope.noPayload(), Map.of());

        assertThat(call).succeedsWithin(Duration.ofSeconds(10)).isEqualTo("silo-3");
    }

    /**
     * silo-2 passes silo-3's {@code HANDOFF} on to silo-1, and its link to silo-1 breaks before silo-1 answered:
     * silo-2 asks silo-1 again once the link is up, and confirms for both.
     */
    @Test
    void aHandOffPassedOnWhoseLinkBrokeIsAskedAgainOnceTheLinkIsUp() throws InterruptedException {
        String id = startAsTheMiddleOwner();
        this.transport.linksComeBack = true;
        this.transport.handler().receive(handoffFromSilo3(512, id, Map.of(EarlierOwnerHandoff.HOPS, "0",
                EarlierOwnerHandoff.ASKED, "silo-3,silo-2")));

        Envelope passedOn = sentTo("silo-1", Envelope.Kind.HANDOFF);
        breakLinkOf(passedOn);
        Envelope again = sentTo("silo-1", Envelope.Kind.HANDOFF);
        assertThat(again.metadata()).isEqualTo(passedOn.metadata());
        answer(again, SILO_1, Envelope.Kind.HANDOFF_ACK, Envelope.noPayload(), Map.of());

        assertThat(answerTo(512).kind()).isEqualTo(Envelope.Kind.HANDOFF_ACK);
        assertThat(this.transport.reconnected).contains(SILO_1);
    }

    /** Reports a request's link broken before its answer came, as the gRPC transport does. */
    private void breakLinkOf(Envelope request) {
        this.transport.handler().inDoubt(request.messageId(), new LinkBrokenException("The link to "
                + request.targetSiloId() + " broke; the message may or may not have been handled there"));
    }

    /**
     * silo-2 answers busy naming silo-1 once, then busy naming nobody (itself still ending its activation, say) until
     * the asker's busy wait ends: silo-1 was never confirmed released, and the failure names it, not silo-2 alone.
     */
    @Test
    void anEarlierOwnerNamedBusyOnceIsNamedAsNotReleasedWhenTheBusyWaitEnds() throws InterruptedException {
        String id = startAsTheNewOwner(Duration.ofSeconds(10));
        long started = System.nanoTime();
        CompletableFuture<String> call = CompletableFuture.supplyAsync(() -> this.runtime.get(Gauge.class, id).where());

        answerBusyNaming(sentTo("silo-2", Envelope.Kind.HANDOFF), "silo-1");
        int asked = 1;
        while (!call.isDone() && System.nanoTime() - started < TimeUnit.SECONDS.toNanos(15)) {
            Envelope sent = this.transport.sent.poll(100, TimeUnit.MILLISECONDS);
            if (sent != null && sent.kind() == Envelope.Kind.HANDOFF) {
                asked++;
                answerBusy(sent);
            }
        }

        assertThat(asked).as("asked again while busy").isGreaterThan(2);
        assertThat(call).failsWithin(Duration.ofSeconds(1)).withThrowableThat()
            .withStackTraceContaining("silos [silo-1]")
            .withStackTraceContaining("did not confirm that they hold no activation");
    }

    /**
     * silo-2 answers busy naming silo-1, is then declared dead and answers busy once more naming nobody: the asker
     * stops asking at once (a dead silo can no longer confirm for silo-1), and silo-1 may still run the actor.
     */
    @Test
    void anEarlierOwnerNamedBusyIsNamedAsNotReleasedAtOnceWhenThePreviousOwnerIsGoneAfterwards()
            throws InterruptedException {
        String id = startAsTheNewOwner(Duration.ofSeconds(10));
        CompletableFuture<String> call = CompletableFuture.supplyAsync(() -> this.runtime.get(Gauge.class, id).where());

        answerBusyNaming(sentTo("silo-2", Envelope.Kind.HANDOFF), "silo-1");
        Envelope second = sentTo("silo-2", Envelope.Kind.HANDOFF);
        long declaredDead = System.nanoTime();
        this.source.install(view(4, entry("silo-3", this.address, SiloStatus.ACTIVE),
                entry("silo-2", SILO_2, SiloStatus.DEAD), entry("silo-1", SILO_1, SiloStatus.ACTIVE)));
        answerBusy(second);

        assertThat(call).failsWithin(Duration.ofSeconds(10)).withThrowableThat()
            .withStackTraceContaining("silos [silo-1]")
            .withStackTraceContaining("did not confirm that they hold no activation");
        assertThat(Duration.ofNanos(System.nanoTime() - declaredDead)).as("not asked until the busy wait ends")
            .isLessThan(EarlierOwnerHandoff.BUSY_WAIT.dividedBy(2));
    }

    /**
     * silo-2 answers busy naming silo-1 once, is then declared dead, and fails what it is asked next: the failure is
     * its own, but silo-1, which it named busy, was never confirmed released.
     */
    @Test
    void anEarlierOwnerNamedBusyOnceStaysNotReleasedWhenThePreviousOwnerThenFails() throws InterruptedException {
        String id = startAsTheNewOwner(Duration.ofSeconds(10));
        CompletableFuture<String> call = CompletableFuture.supplyAsync(() -> this.runtime.get(Gauge.class, id).where());

        answerBusyNaming(sentTo("silo-2", Envelope.Kind.HANDOFF), "silo-1");
        Envelope second = sentTo("silo-2", Envelope.Kind.HANDOFF);
        this.source.install(view(4, entry("silo-3", this.address, SiloStatus.ACTIVE),
                entry("silo-2", SILO_2, SiloStatus.DEAD), entry("silo-1", SILO_1, SiloStatus.ACTIVE)));
        answer(second, SILO_2, Envelope.Kind.ERROR,
                this.codec.encodeFailure(new SiloUnavailableException("silo-2 fails")), Map.of());

        assertThat(call).failsWithin(Duration.ofSeconds(10)).withThrowableThat()
            .withStackTraceContaining("silos [silo-1]")
            .withStackTraceContaining("did not confirm that they hold no activation");
    }

    /**
     * silo-2 answers busy naming silo-1 and is then declared dead: this attempt fails, and the next one asks
     * silo-1 directly (one hop short of the bound, so that silo-1 still asks its own earlier owners), though silo-1
     * never owned the actor in silo-3's views.
     */
    @Test
    void anEarlierOwnerNamedBusyIsAskedDirectlyOnTheNextAttemptWhenThePreviousOwnerIsGone()
            throws InterruptedException {
        String id = startAsTheNewOwner(Duration.ofSeconds(10));
        CompletableFuture<String> first = CompletableFuture.supplyAsync(() -> this.runtime.get(Gauge.class, id)
            .where());
        Envelope asked = sentTo("silo-2", Envelope.Kind.HANDOFF);
        this.source.install(view(4, entry("silo-3", this.address, SiloStatus.ACTIVE),
                entry("silo-2", SILO_2, SiloStatus.DEAD), entry("silo-1", SILO_1, SiloStatus.ACTIVE)));
        answerBusyNaming(asked, "silo-1");
        assertThat(first).failsWithin(Duration.ofSeconds(10)).withThrowableThat()
            .withStackTraceContaining("silos [silo-1]");

        CompletableFuture<String> next = CompletableFuture.supplyAsync(() -> this.runtime.get(Gauge.class, id)
            .where());
        Envelope direct = sentTo("silo-1", Envelope.Kind.HANDOFF);
        assertThat(direct.metadata()).containsEntry(EarlierOwnerHandoff.HOPS, String.valueOf(
                EarlierOwnerHandoff.MAX_HOPS - 1));
        assertThat(next).as("not before silo-1 confirms").isNotDone();
        answer(direct, SILO_1, Envelope.Kind.HANDOFF_ACK, Envelope.noPayload(), Map.of());

        assertThat(next).succeedsWithin(Duration.ofSeconds(10)).isEqualTo("silo-3");
    }

    /**
     * Three owners in turn, silo-1 then silo-2 then silo-3 (the real silo): silo-2, alive, names silo-1 as not
     * released, and the next attempt asks silo-1 directly and silo-2 again. silo-2 is not told that silo-1 is asked
     * already, so that it passes the request on to silo-1 once more; and silo-1 is asked at a hop from which it
     * still passes it on to its own earlier owner (the silo-2-side of the chain is the next test).
     */
    @Test
    void anEarlierOwnerAskedDirectlyIsNotListedAsAskedToThePreviousOwnerAndMayPassTheRequestOn()
            throws InterruptedException {
        String id = startAsTheNewOwner(Duration.ofSeconds(10));
        CompletableFuture<String> first = CompletableFuture.supplyAsync(() -> this.runtime.get(Gauge.class, id)
            .where());
        answer(sentTo("silo-2", Envelope.Kind.HANDOFF), SILO_2, Envelope.Kind.ERROR,
                this.codec.encodeFailure(new SiloUnavailableException("silo-1 did not confirm")),
                Map.of(DistributedDirectory.NOT_RELEASED, "silo-1"));
        assertThat(first).failsWithin(Duration.ofSeconds(10)).withThrowableThat()
            .withStackTraceContaining("silos [silo-1]");

        CompletableFuture<String> next = CompletableFuture.supplyAsync(() -> this.runtime.get(Gauge.class, id)
            .where());
        List<Envelope> asked = List.of(sentTo(Set.of("silo-1", "silo-2"), Envelope.Kind.HANDOFF),
                sentTo(Set.of("silo-1", "silo-2"), Envelope.Kind.HANDOFF));
        Envelope toSilo2 = asked.stream().filter((sent) -> "silo-2".equals(sent.targetSiloId())).findFirst()
            .orElseThrow();
        Envelope toSilo1 = asked.stream().filter((sent) -> "silo-1".equals(sent.targetSiloId())).findFirst()
            .orElseThrow();
        assertThat(EarlierOwnerHandoff.silos(toSilo2.metadata().get(EarlierOwnerHandoff.ASKED)))
            .doesNotContain("silo-1");
        assertThat(EarlierOwnerHandoff.hops(toSilo1.metadata())).isLessThan(EarlierOwnerHandoff.MAX_HOPS);
        answer(toSilo2, SILO_2, Envelope.Kind.HANDOFF_ACK, Envelope.noPayload(), Map.of());
        answer(toSilo1, SILO_1, Envelope.Kind.HANDOFF_ACK, Envelope.noPayload(), Map.of());

        assertThat(next).succeedsWithin(Duration.ofSeconds(10)).isEqualTo("silo-3");
    }

    /**
     * The other end of the chain above: silo-2 (the real silo) is asked directly by silo-3, which remembered it
     * from an earlier attempt, and passes the request on to silo-1, which owned the actor before it.
     */
    @Test
    void aSiloAskedDirectlyPassesTheHandOffOnToItsOwnEarlierOwner() throws InterruptedException {
        String id = startAsTheMiddleOwner();
        this.transport.handler().receive(handoffFromSilo3(512, id, EarlierOwnerHandoff.directAsk("silo-3",
                Set.of("silo-4"))));

        Envelope passedOn = sentTo("silo-1", Envelope.Kind.HANDOFF);
        assertThat(passedOn.metadata()).containsEntry(EarlierOwnerHandoff.HOPS,
                String.valueOf(EarlierOwnerHandoff.MAX_HOPS));
        answer(passedOn, SILO_1, Envelope.Kind.HANDOFF_ACK, Envelope.noPayload(), Map.of());

        assertThat(answerTo(512).kind()).isEqualTo(Envelope.Kind.HANDOFF_ACK);
    }

    /**
     * An earlier owner that silo-2 asked in turn refused (its view still gives it the actor): a child's
     * registration fails for now and is asked again, as for silo-2's own refusal, not for good.
     */
    @Test
    void anEarlierOwnersRefusalFailsAChildsRegistrationForNowNotForGood() throws InterruptedException {
        String id = startAsTheNewOwner(Duration.ofSeconds(10));
        ActorAddress actor = new ActorAddress("Gauge", id);
        CompletableFuture<Void> registration = CompletableFuture.runAsync(() -> this.routing.handoff()
            .release(actor, Set.of("silo-2"), Duration.ofSeconds(5)));

        answer(sentTo("silo-2", Envelope.Kind.HANDOFF), SILO_2, Envelope.Kind.ERROR,
                this.codec.encodeFailure(new SiloUnavailableException("silo-1 still owns it")),
                Map.of(DistributedDirectory.NOT_RELEASED, "silo-1", EarlierOwnerHandoff.REFUSED, "silo-1"));

        assertThat(registration).failsWithin(Duration.ofSeconds(10)).withThrowableThat()
            .havingCause().isInstanceOf(SiloUnavailableException.class)
            .isNotInstanceOf(ReleaseNotConfirmedException.class);
    }

    @Test
    void aBusyPreviousOwnerIsAskedAgainUntilItConfirms() throws InterruptedException {
        String id = startAsTheNewOwner(Duration.ofSeconds(10));
        CompletableFuture<String> call = CompletableFuture.supplyAsync(() -> this.runtime.get(Gauge.class, id).where());

        answerBusy(sentTo("silo-2", Envelope.Kind.HANDOFF));
        answerBusy(sentTo("silo-2", Envelope.Kind.HANDOFF));
        answer(sentTo("silo-2", Envelope.Kind.HANDOFF), SILO_2, Envelope.Kind.HANDOFF_ACK, Envelope.noPayload(),
                Map.of());

        assertThat(call).succeedsWithin(Duration.ofSeconds(10)).isEqualTo("silo-3");
    }

    @Test
    void aBusyPreviousOwnerIsAskedAgainForTheBusyWaitAtMost() throws InterruptedException {
        String id = startAsTheNewOwner(Duration.ofSeconds(10));
        long started = System.nanoTime();
        CompletableFuture<String> call = CompletableFuture.supplyAsync(() -> this.runtime.get(Gauge.class, id).where());

        List<Envelope> asked = new ArrayList<>();
        while (!call.isDone() && System.nanoTime() - started < TimeUnit.SECONDS.toNanos(15)) {
            Envelope sent = this.transport.sent.poll(100, TimeUnit.MILLISECONDS);
            if (sent != null && sent.kind() == Envelope.Kind.HANDOFF) {
                asked.add(sent);
                answerBusy(sent);
            }
        }

        assertThat(call).failsWithin(Duration.ofSeconds(1)).withThrowableThat()
            .withStackTraceContaining("silo silo-2, which owned it until recently, did not confirm");
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        assertThat(took).isGreaterThanOrEqualTo(EarlierOwnerHandoff.BUSY_WAIT.minusMillis(
                EarlierOwnerHandoff.BUSY_PAUSE_MILLIS + EarlierOwnerHandoff.BUSY_MARGIN_MILLIS))
            .isLessThan(EarlierOwnerHandoff.BUSY_WAIT.plusSeconds(3));
        assertThat(asked).hasSizeGreaterThan(2)
            .hasSizeLessThanOrEqualTo((int) (EarlierOwnerHandoff.BUSY_WAIT.toMillis()
                    / EarlierOwnerHandoff.BUSY_PAUSE_MILLIS) + 1);
    }

    /**
     * The pause before a busy previous owner is asked again ends even when the hand-off's executor was shut down
     * meanwhile: the delayed task it rejects is dropped without completing anything.
     */
    @Test
    void thePauseBeforeAskingAgainEndsWhenTheExecutorIsShutDown() {
        java.util.concurrent.ExecutorService closed = java.util.concurrent.Executors.newSingleThreadExecutor();
        closed.shutdown();
        CompletableFuture<Boolean> paused = CompletableFuture.supplyAsync(() -> OwnershipHandoff.pause(closed));

        assertThat(paused).succeedsWithin(Duration.ofSeconds(5)).isEqualTo(false);
    }

    // ------------------------------------------------------------------ set-up

    /**
     * Starts silo-2 as a silo that joined after silo-1 owned an actor, which silo-3 owns now.
     * @return the actor's id
     */
    private String startAsTheMiddleOwner() {
        return startAsTheMiddleOwner(Duration.ofSeconds(10));
    }

    private String startAsTheMiddleOwner(Duration timeout) {
        start("silo-2", timeout);
        ClusterView joining = view(1, entry("silo-1", SILO_1, SiloStatus.ACTIVE),
                entry("silo-2", this.address, SiloStatus.JOINING));
        ClusterView two = view(2, entry("silo-1", SILO_1, SiloStatus.ACTIVE),
                entry("silo-2", this.address, SiloStatus.ACTIVE));
        ClusterView three = view(3, entry("silo-1", SILO_1, SiloStatus.ACTIVE),
                entry("silo-2", this.address, SiloStatus.ACTIVE), entry("silo-3", SILO_3, SiloStatus.ACTIVE));
        this.source.install(joining);
        this.routing.follow(this.source);
        this.source.install(two);
        this.source.install(three);
        return idWhere((candidate) -> "silo-1".equals(ownerIn(candidate, two))
                && "silo-3".equals(ownerIn(candidate, three)));
    }

    /**
     * Starts silo-3 as a silo that joined after silo-2 owned an actor, which it owns now.
     * @return the actor's id
     */
    private String startAsTheNewOwner(Duration timeout) {
        start("silo-3", timeout);
        ClusterView joining = view(1, entry("silo-2", SILO_2, SiloStatus.ACTIVE),
                entry("silo-3", this.address, SiloStatus.JOINING), entry("silo-1", SILO_1, SiloStatus.ACTIVE));
        ClusterView joined = view(2, entry("silo-2", SILO_2, SiloStatus.ACTIVE),
                entry("silo-3", this.address, SiloStatus.ACTIVE), entry("silo-1", SILO_1, SiloStatus.ACTIVE));
        this.source.install(joining);
        this.routing.follow(this.source);
        this.source.install(joined);
        return idWhere((candidate) -> "silo-2".equals(ownerIn(candidate, joining))
                && "silo-3".equals(ownerIn(candidate, joined)));
    }

    private void start(String siloId, Duration timeout) {
        this.routing = SiloRouting.builder(siloId, this.transport).handoffTimeout(timeout).build();
        this.runtime = this.routing.configure(ActorRuntime.builder().actor(GaugeActor.class, GaugeActor::new)).build();
        JacksonPayloadCodec jackson = new JacksonPayloadCodec(JsonMapper.builder().build(), this.runtime, List.of());
        this.codec = jackson;
        this.address = this.routing.listen(this.runtime, jackson);
    }

    private Envelope handoffFromSilo3(long messageId, String id, Map<String, String> metadata) {
        return handoffFromSilo3(messageId, id, metadata, 3, 5_000);
    }

    private Envelope handoffFromSilo3(long messageId, String id, Map<String, String> metadata, long version,
            long timeoutMillis) {
        return new Envelope(messageId, messageId, Envelope.Kind.HANDOFF, "silo-3", 1, SILO_3, "silo-2", 1, "Gauge",
                id, 0, Envelope.noPayload(), 0, null, metadata, System.currentTimeMillis() + timeoutMillis, version,
                0);
    }

    private void answer(Envelope request, SiloAddress from, Envelope.Kind kind, byte[] payload,
            Map<String, String> metadata) {
        this.transport.handler().receive(new Envelope(request.messageId() + 100_000, request.messageId(), kind,
                request.targetSiloId(), 1, from, request.sourceSiloId(), request.sourceEpoch(), request.actorType(),
                request.actorId(), 0, payload, 0, null, metadata, request.deadlineEpochMillis(),
                request.membershipVersion(), 0));
    }

    private void answerBusy(Envelope request) {
        answer(request, SILO_2, Envelope.Kind.ERROR,
                this.codec.encodeFailure(new SiloUnavailableException("silo-2 is still ending it")),
                Map.of(EarlierOwnerHandoff.BUSY, "true"));
    }

    private void answerBusyNaming(Envelope request, String earlierOwner) {
        answer(request, SILO_2, Envelope.Kind.ERROR,
                this.codec.encodeFailure(new SiloUnavailableException(earlierOwner + " is still ending it")),
                Map.of(EarlierOwnerHandoff.BUSY, "true", DistributedDirectory.NOT_RELEASED, earlierOwner));
    }

    private Envelope sentTo(String siloId, Envelope.Kind kind) throws InterruptedException {
        return sentTo(Set.of(siloId), kind);
    }

    private Envelope sentTo(Set<String> siloIds, Envelope.Kind kind) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            Envelope sent = this.transport.sent.poll(100, TimeUnit.MILLISECONDS);
            if (sent != null && sent.kind() == kind && siloIds.contains(sent.targetSiloId())) {
                return sent;
            }
        }
        throw new AssertionError("no " + kind + " sent to " + siloIds + " within 10 s");
    }

    private long answersTo(long messageId) {
        return this.transport.sent.stream()
            .filter((sent) -> "silo-3".equals(sent.targetSiloId()) && sent.correlationId() == messageId
                    && sent.kind().isAnswer())
            .count();
    }

    /** The answer sent to silo-3 for its request, within 10 s. */
    private Envelope answerTo(long messageId) {
        return await().atMost(Duration.ofSeconds(10)).until(() -> this.transport.sent.stream()
            .filter((sent) -> "silo-3".equals(sent.targetSiloId()) && sent.correlationId() == messageId
                    && sent.kind().isAnswer())
            .findFirst(), Optional::isPresent).orElseThrow();
    }

    private static SiloEntry entry(String siloId, SiloAddress address, SiloStatus status) {
        Instant now = Instant.now();
        return new SiloEntry(siloId, address, now, status, now, 1, TYPES, List.of());
    }

    private static ClusterView view(long version, SiloEntry... silos) {
        return ClusterView.of(MembershipSnapshot.of(version, List.of(silos)), 150);
    }

    private String ownerIn(String id, ClusterView view) {
        return this.placement.ownerOf(new ActorAddress("Gauge", id), view);
    }

    private static String idWhere(Predicate<String> wanted) {
        return IntStream.range(0, 100_000).mapToObj((i) -> "gauge-" + i).filter(wanted).findFirst().orElseThrow();
    }

    /** An actor placed by consistent hashing that says where it runs. */
    public interface Gauge extends Actor {

        String where();

        /** Holds its turn until the test lets it go (10 s at most). */
        String hold();
    }

    @QuarkActor
    public static class GaugeActor extends AbstractActor implements Gauge {

        @Override
        public String where() {
            return "silo-3";
        }

        @Override
        public String hold() {
            held.release();
            try {
                holding.await(10, TimeUnit.SECONDS);
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
            return "held";
        }
    }
}
