package dev.quark.cluster.routing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import dev.quark.cluster.SiloNotServingException;
import dev.quark.cluster.SiloUnavailableException;
import dev.quark.cluster.membership.ClusterView;
import dev.quark.cluster.membership.MembershipSnapshot;
import dev.quark.cluster.membership.SiloAddress;
import dev.quark.cluster.membership.SiloEntry;
import dev.quark.cluster.membership.SiloStatus;
import dev.quark.cluster.transport.Envelope;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Requests waiting for answers from a silo that a new view shows gone: a silo shown dead in the incarnation they
 * went to may have answered just before it left, so its answers get a moment to arrive; a silo gone from the table
 * or restarted never answers, so its requests fail at once.
 */
class PendingRepliesTests {

    private static final Executor VIRTUAL_THREADS = (task) -> Thread.ofVirtual().start(task);

    private static final SiloAddress ADDRESS = new SiloAddress("127.0.0.1", 9001);

    @AutoClose
    private final PendingReplies replies = new PendingReplies("silo-0", Clock.systemUTC(), VIRTUAL_THREADS);

    @Test
    void aRequestRegisteredAfterTheCloseFailsAtOnceNamingWhy() {
        CompletableFuture<Envelope> before = register(1);
        this.replies.close("silo silo-0 closed its routing");
        assertThat(before).failsWithin(Duration.ofSeconds(5))
            .withThrowableOfType(ExecutionException.class)
            .withCauseInstanceOf(SiloUnavailableException.class);

        CompletableFuture<Envelope> after = register(2);

        assertThat(after).as("no sweep expires it any more: it must not wait for ever").isCompletedExceptionally();
        assertThat(after).failsWithin(Duration.ZERO)
            .withThrowableOfType(ExecutionException.class)
            .havingCause()
            .as("never sent: it ran nowhere")
            .isInstanceOf(SiloNotServingException.class)
            .withMessageContaining("was not sent, since silo silo-0 closed its routing");
        assertThat(this.replies.complete(answer(2))).as("nothing left waiting").isFalse();
    }

    @Test
    void aRequestFailedAfterItsExecutorShutDownFailsOnTheFailingThread() {
        ExecutorService executor = Executors.newSingleThreadExecutor();
        PendingReplies closing = new PendingReplies("silo-0", Clock.systemUTC(), executor);
        try {
            CompletableFuture<Envelope> answer = closing.register(1, new Peer("silo-1", 1, ADDRESS),
                    Instant.now().plusSeconds(30).toEpochMilli(), () -> new SiloUnavailableException("expired"),
                    "call 1", false, true);
            executor.shutdown();

            closing.fail(1, new SiloUnavailableException("the link closed"));

            assertThat(answer).isCompletedExceptionally();
        }
        finally {
            closing.close();
        }
    }

    @Test
    void anAnswerThatArrivesJustAfterItsSiloIsShownDeadStillCompletesTheCall() {
        CompletableFuture<Envelope> answer = register(1);

        this.replies.failTargetsGoneIn(view(2, SiloStatus.DEAD, 1));

        assertThat(this.replies.complete(answer(1))).as("the answer found its call").isTrue();
        assertThat(answer).succeedsWithin(Duration.ofSeconds(5))
            .extracting(Envelope::correlationId).isEqualTo(1L);
    }

    @Test
    void aLinkClosedAfterItsSiloIsShownDeadLeavesTheCallItsGrace() {
        CompletableFuture<Envelope> answer = register(1);
        CompletableFuture<Envelope> other = register(2);
        ClusterView dead = view(2, SiloStatus.DEAD, 1);
        this.replies.failTargetsGoneIn(dead);

        this.replies.failLinkInDoubt(1, new RuntimeException("forgotten"), dead);

        assertThat(this.replies.complete(answer(1))).as("still waits out the grace").isTrue();
        assertThat(answer).succeedsWithin(Duration.ofSeconds(5));
        assertThat(other).failsWithin(Duration.ofSeconds(10));
    }

    @Test
    void aLinkClosedBeforeTheViewShowingItsSiloDeadIsHandedOnStillLeavesTheCallItsGrace() {
        // The transport may close the link (forget) before the routing's own view listener has seen the view: the
        // grace must not depend on the order the listeners run in.
        CompletableFuture<Envelope> answer = register(1);
        ClusterView dead = view(2, SiloStatus.DEAD, 1);

        this.replies.failLinkInDoubt(1, new RuntimeException("forgotten"), dead);
        this.replies.failTargetsGoneIn(dead);

        assertThat(this.replies.complete(answer(1))).as("still waits out the grace").isTrue();
        assertThat(answer).succeedsWithin(Duration.ofSeconds(5));
    }

    @Test
    void aLinkBrokenToALiveSiloFailsTheCallAtOnceMarkedAsThisSilosOwnLink() {
        CompletableFuture<Envelope> answer = this.replies.register(1, new Peer("silo-1", 1, ADDRESS),
                System.currentTimeMillis() + 30_000, () -> new IllegalStateException("timed out"),
                "call Tally/tally-1.add()", true, false);

        this.replies.failLinkInDoubt(1, new RuntimeException("stream broke"), view(2, SiloStatus.ACTIVE, 1));

        assertThat(answer).failsWithin(Duration.ofSeconds(5))
            .withThrowableOfType(java.util.concurrent.ExecutionException.class)
            .havingCause()
            .isInstanceOfSatisfying(OutcomeInDoubt.class, (doubt) -> {
                assertThat(doubt.linkBroke()).isTrue();
                assertThat(doubt.linkBrokenToEpoch()).isEqualTo(1L);
            });
    }

    @Test
    void aSiloShownDeadMakesAnUnknownOutcomeThatIsNotALinkBreak() {
        CompletableFuture<Envelope> answer = this.replies.register(1, new Peer("silo-1", 1, ADDRESS),
                System.currentTimeMillis() + 30_000, () -> new IllegalStateException("timed out"),
                "call Tally/tally-1.add()", true, false);

        this.replies.failTargetsGoneIn(view(2, SiloStatus.ACTIVE, 2));

        assertThat(answer).failsWithin(Duration.ofSeconds(5))
            .withThrowableOfType(java.util.concurrent.ExecutionException.class)
            .havingCause()
            .isInstanceOfSatisfying(OutcomeInDoubt.class, (doubt) -> assertThat(doubt.linkBroke()).isFalse());
    }

    @Test
    void aCallWhoseSiloIsShownDeadAndDoesNotAnswerFailsAfterTheGraceNamingIt() {
        long started = System.nanoTime();
        CompletableFuture<Envelope> answer = register(1);

        this.replies.failTargetsGoneIn(view(2, SiloStatus.DEAD, 1));

        assertThat(answer).failsWithin(Duration.ofSeconds(10))
            .withThrowableOfType(java.util.concurrent.ExecutionException.class)
            .havingCause()
            .isInstanceOf(SiloUnavailableException.class)
            .withMessage("Silo silo-1 was declared dead (membership version 2) while call Tally/tally-1.add() waited "
                    + "for its answer; it may or may not have run there");
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(PendingReplies.DEPARTURE_GRACE);
        assertThat(this.replies.size()).isZero();
    }

    @Test
    void aCallWhoseSiloRestartedFailsAtOnceAndItsLateAnswerIsNotTaken() {
        CompletableFuture<Envelope> answer = register(1);

        this.replies.failTargetsGoneIn(view(2, SiloStatus.ACTIVE, 2));

        assertThat(this.replies.complete(answer(1))).as("the request was failed at once").isFalse();
        assertThat(answer).failsWithin(Duration.ofSeconds(5))
            .withThrowableOfType(java.util.concurrent.ExecutionException.class)
            .havingCause()
            .withMessageContaining("restarted as incarnation 2");
    }

    @Test
    void theProtocolRequestsWaitingAreCountedUntilAnsweredFailedExpiredOrAbandonedAndCallsAreNot() {
        CompletableFuture<Envelope> call = this.replies.register(1, new Peer("silo-1", 1, ADDRESS),
                System.currentTimeMillis() + 30_000, () -> new IllegalStateException("timed out"), "call", true, false);
        assertThat(this.replies.awaitsProtocolAnswers()).as("a call is not a protocol request").isFalse();

        register(2);
        register(3);
        CompletableFuture<Envelope> expiring = this.replies.register(4, new Peer("silo-1", 1, ADDRESS),
                System.currentTimeMillis() + 50, () -> new IllegalStateException("timed out"), "hand-off", false, true);
        register(5);
        assertThat(this.replies.protocolRequests()).isEqualTo(4);

        this.replies.complete(answer(2));
        this.replies.fail(3, new IllegalStateException("refused"));
        assertThat(expiring).failsWithin(Duration.ofSeconds(5));
        assertThat(this.replies.protocolRequests()).isEqualTo(1);
        assertThat(this.replies.awaitsProtocolAnswers()).isTrue();
        assertThat(this.replies.complete(answer(2))).as("answered twice").isFalse();
        assertThat(this.replies.protocolRequests()).isEqualTo(1);

        this.replies.close("silo silo-0 closed its routing");
        assertThat(this.replies.awaitsProtocolAnswers()).isFalse();
        assertThat(this.replies.protocolRequests()).isZero();
        assertThat(call).failsWithin(Duration.ofSeconds(5));
        register(6);
        assertThat(this.replies.protocolRequests()).as("registered after the close: failed at once").isZero();
    }

    private CompletableFuture<Envelope> register(long messageId) {
        return this.replies.register(messageId, new Peer("silo-1", 1, ADDRESS), System.currentTimeMillis() + 30_000,
                () -> new IllegalStateException("timed out"), "call Tally/tally-1.add()", false, true);
    }

    private static Envelope answer(long correlationId) {
        return new Envelope(100 + correlationId, correlationId, Envelope.Kind.RESPONSE, "silo-1", 1, ADDRESS,
                "silo-0", 0, "Tally", "tally-1", 0x1234, new byte[0], 0, null, Map.of(),
                System.currentTimeMillis() + 30_000, 1, 0);
    }

    private static ClusterView view(long version, SiloStatus status, long epoch) {
        Instant now = Instant.now();
        SiloEntry self = new SiloEntry("silo-0", new SiloAddress("127.0.0.1", 9000), now, SiloStatus.ACTIVE, now, 1,
                Set.of(), List.of());
        SiloEntry target = new SiloEntry("silo-1", ADDRESS, now, status, now, epoch, Set.of("Tally"), List.of());
        return ClusterView.of(MembershipSnapshot.of(version, List.of(self, target)), 150);
    }
}
