package dev.quark.cluster.transport.grpc;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import dev.quark.cluster.membership.SiloAddress;
import dev.quark.cluster.transport.Envelope;
import dev.quark.cluster.transport.grpc.Silos.Silo;
import dev.quark.cluster.transport.grpc.proto.ClientFrame;
import dev.quark.cluster.transport.grpc.proto.Hello;
import dev.quark.cluster.transport.grpc.proto.Lane;
import dev.quark.cluster.transport.grpc.proto.ServerFrame;
import dev.quark.cluster.transport.grpc.proto.SiloTransportGrpc;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * A silo that says goodbye before it closes: its peers stop writing to it, what they wrote before is handled and
 * answered, and nothing they sent is left in doubt by the close.
 */
class GoodbyeTests {

    @AutoClose
    private final Silos silos = new Silos();

    private static GrpcTransportSettings settings(Duration goodbyeTimeout) {
        return GrpcTransportSettings.builder("bank")
            .reconnectBackoff(Duration.ofMillis(50), Duration.ofMillis(200))
            .goodbyeTimeout(goodbyeTimeout)
            .build();
    }

    @Test
    void requestsSentWhileThePeerSaysGoodbyeAndClosesAreAnsweredOrFailAsNotSentNoneInDoubt() throws Exception {
        Silo a = this.silos.start("a", settings(Duration.ofSeconds(5)));
        Silo b = this.silos.start("b", settings(Duration.ofSeconds(5)));
        Semaphore window = new Semaphore(256);
        Set<Long> sent = ConcurrentHashMap.newKeySet();
        Set<Long> answered = ConcurrentHashMap.newKeySet();
        Set<Long> notSent = ConcurrentHashMap.newKeySet();
        b.recorder().onReceive = (request) -> b.transport().send(a.address(), this.silos.response(b, request));
        a.recorder().onReceive = (answer) -> {
            answered.add(answer.correlationId());
            window.release();
        };
        AtomicBoolean stop = new AtomicBoolean();
        Thread sender = Thread.ofVirtual().start(() -> {
            for (int i = 0; i < 50_000 && !stop.get(); i++) {
                try {
                    if (!window.tryAcquire(5, TimeUnit.SECONDS)) {
                        return;
                    }
                }
                catch (InterruptedException ex) {
                    return;
                }
                Envelope request = this.silos.envelope(a, b, Envelope.Kind.REQUEST, new byte[16]);
                sent.add(request.messageId());
                a.transport().send(b.address(), request).whenComplete((written, failure) -> {
                    if (failure != null) {
                        notSent.add(request.messageId());
                        window.release();
                    }
                });
            }
        });
        await().atMost(Duration.ofSeconds(20)).until(() -> answered.size() >= 2_000);

        b.transport().sayGoodbye(() -> true);
        b.transport().close();
        stop.set(true);
        assertThat(sender.join(Duration.ofSeconds(10))).isTrue();

        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(sent)
            .allMatch((id) -> answered.contains(id) || notSent.contains(id) || a.recorder().lost.containsKey(id)));
        assertThat(a.recorder().inDoubt).as("every request written to b was answered before it closed").isEmpty();
        assertThat(a.recorder().lost).isEmpty();
        assertThat(b.recorder().received).hasSize(answered.size());
    }

    @Test
    void aRequestWrittenBeforeTheGoodbyeWaitsForItsAnswerPastTheStreamsEndAndTheCloseWritesThatAnswer() throws Exception {
        Silo a = this.silos.start("a", settings(Duration.ofSeconds(5)));
        Silo b = this.silos.start("b", settings(Duration.ofSeconds(5)));
        Envelope request = this.silos.envelope(a, b, Envelope.Kind.REQUEST, new byte[10]);
        a.transport().send(b.address(), request).toCompletableFuture().get(5, TimeUnit.SECONDS);
        Envelope held = b.recorder().received.poll(5, TimeUnit.SECONDS);
        assertThat(held).isNotNull();

        b.transport().sayGoodbye(() -> true);
        // a half-closed its stream and b ended it: before the goodbye, the request would be in doubt now. b's first
        // envelope to a waits in its link for the handshake of a new stream; the close writes it before it closes.
        b.transport().send(a.address(), this.silos.response(b, held));
        b.transport().close();

        Envelope answer = a.recorder().received.poll(5, TimeUnit.SECONDS);
        assertThat(answer).isNotNull().extracting(Envelope::correlationId).isEqualTo(request.messageId());
        assertThat(a.transport().outstandingRequests()).isZero();
        assertThat(a.recorder().lost).isEmpty();
    }

    @Test
    void theGoodbyeWaitsUntilTheRequestsReceivedAreAnsweredThoughTheHandlerAnswersThemLater() throws Exception {
        Silo a = this.silos.start("a", settings(Duration.ofSeconds(5)));
        Silo b = this.silos.start("b", settings(Duration.ofSeconds(5)));
        AtomicInteger unanswered = new AtomicInteger();
        b.recorder().onReceive = (request) -> {
            unanswered.incrementAndGet();
            CompletableFuture.delayedExecutor(200, TimeUnit.MILLISECONDS).execute(() -> {
                b.transport().send(a.address(), this.silos.response(b, request));
                unanswered.decrementAndGet();
            });
        };
        List<Long> requests = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            Envelope request = this.silos.envelope(a, b, Envelope.Kind.REQUEST, new byte[10]);
            a.transport().send(b.address(), request).toCompletableFuture().get(5, TimeUnit.SECONDS);
            requests.add(request.messageId());
        }

        b.transport().sayGoodbye(() -> unanswered.get() == 0);
        b.transport().close();

        await().atMost(Duration.ofSeconds(4)).untilAsserted(() -> assertThat(a.recorder().received)
            .extracting(Envelope::correlationId).containsExactlyInAnyOrderElementsOf(requests));
        assertThat(a.recorder().lost).isEmpty();
    }

    @Test
    void theAnswersToTheClosingSilosOwnRequestsStillArriveAfterItsGoodbye() throws Exception {
        Silo a = this.silos.start("a", settings(Duration.ofSeconds(5)));
        Silo b = this.silos.start("b", settings(Duration.ofSeconds(5)));
        a.recorder().onReceive = (request) -> a.transport().send(b.address(), this.silos.response(a, request));
        Envelope before = this.silos.envelope(b, a, Envelope.Kind.REQUEST, new byte[10]);
        b.transport().send(a.address(), before).toCompletableFuture().get(5, TimeUnit.SECONDS);
        assertThat(b.recorder().received.poll(5, TimeUnit.SECONDS)).extracting(Envelope::correlationId)
            .isEqualTo(before.messageId());

        b.transport().sayGoodbye(() -> true);
        Envelope after = this.silos.envelope(b, a, Envelope.Kind.REQUEST, new byte[10]);
        b.transport().send(a.address(), after).toCompletableFuture().get(5, TimeUnit.SECONDS);

        assertThat(b.recorder().received.poll(5, TimeUnit.SECONDS)).as("answered on a's stream of replies to b")
            .extracting(Envelope::correlationId).isEqualTo(after.messageId());
        assertThat(b.recorder().lost).isEmpty();
    }

    @Test
    void aRequestStillUnansweredAfterTheGoodbyeTimeoutIsReportedInDoubtNamingTheGoodbye() throws Exception {
        Silo a = this.silos.start("a", settings(Duration.ofMillis(300)));
        Silo b = this.silos.start("b", settings(Duration.ofSeconds(5)));
        Envelope request = this.silos.envelope(a, b, Envelope.Kind.REQUEST, new byte[10]);
        a.transport().send(b.address(), request).toCompletableFuture().get(5, TimeUnit.SECONDS);
        assertThat(b.recorder().received.poll(5, TimeUnit.SECONDS)).isNotNull();

        b.transport().sayGoodbye(() -> true);
        b.transport().close();

        await().atMost(Duration.ofSeconds(5)).until(() -> a.recorder().inDoubt.containsKey(request.messageId()));
        assertThat(a.recorder().inDoubt.get(request.messageId())).isInstanceOf(LinkBrokenException.class)
            .hasMessageContaining("said goodbye")
            .hasMessageContaining("no answer within 300 ms (quark.cluster.transport.goodbye-timeout)")
            .hasMessageContaining("may or may not have been handled");
        assertThat(a.transport().outstandingRequests()).isZero();
    }

    @Test
    void aStreamOpenedAfterTheGoodbyeIsRefusedAndItsEnvelopeFailsAsNotSent() throws Exception {
        Silo a = this.silos.start("a", settings(Duration.ofSeconds(5)));
        Silo b = this.silos.start("b", settings(Duration.ofSeconds(5)));
        long start = System.nanoTime();
        b.transport().sayGoodbye(() -> true);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("no peer to wait for").isLessThan(Duration.ofSeconds(1));

        Envelope request = this.silos.envelope(a, b, Envelope.Kind.REQUEST, new byte[10]);
        assertThat(a.transport().send(b.address(), request).toCompletableFuture())
            .failsWithin(Duration.ofSeconds(5))
            .withThrowableOfType(ExecutionException.class)
            .havingCause()
            .isInstanceOf(LinkBrokenException.class)
            .withMessageContaining("Silo b is closing: it takes no new Link streams");
        assertThat(b.recorder().received).isEmpty();
        assertThat(a.recorder().lost).as("never written, so neither lost nor in doubt").isEmpty();
    }

    @Test
    void aPeerThatIgnoresTheGoodbyeHoldsItForTheGoodbyeTimeoutAtMost() throws Exception {
        Silo b = this.silos.start("b", settings(Duration.ofMillis(500)));
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", b.address().port()).usePlaintext().build();
        try {
            // A silo from before the goodbye: it reads the frame as one of no known kind and goes on.
            List<ServerFrame> frames = new CopyOnWriteArrayList<>();
            StreamObserver<ClientFrame> stream = SiloTransportGrpc.newStub(channel).link(Silos.collect(frames));
            stream.onNext(ClientFrame.newBuilder()
                .setHello(Hello.newBuilder().setClusterName("bank").setProtocolVersion(GrpcTransport.PROTOCOL_VERSION)
                    .setSourceSiloId("old").setLane(Lane.LANE_CALL))
                .build());
            await().atMost(Duration.ofSeconds(5)).until(() -> frames.stream().anyMatch(ServerFrame::hasAccepted));

            long start = System.nanoTime();
            b.transport().sayGoodbye(() -> true);
            Duration took = Duration.ofNanos(System.nanoTime() - start);

            await().atMost(Duration.ofSeconds(5)).until(() -> frames.stream()
                .anyMatch((frame) -> frame.hasGoodbye() && frame.getGoodbye().getSiloId().equals("b")));
            assertThat(took).isGreaterThanOrEqualTo(Duration.ofMillis(450)).isLessThan(Duration.ofSeconds(3));
            start = System.nanoTime();
            b.transport().close();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("the goodbye's time is spent")
                .isLessThan(Duration.ofSeconds(3));
        }
        finally {
            channel.shutdownNow();
        }
    }

    /**
     * While the close writes what its links hold after the goodbye, a request sent is refused as not sent (its answer
     * could not reach the silo once it closed: written, it would be in doubt), and a one-way call still goes out,
     * on a link opened meanwhile, which the close waits for too.
     */
    @Test
    void whileTheCloseWritesWhatItsLinksHoldARequestFailsAsNotSentAndAOneWayCallGoesOut() throws Exception {
        Silo a = this.silos.start("a", settings(Duration.ofSeconds(10)));
        Silo b = this.silos.start("b", settings(Duration.ofSeconds(10)));
        Thread closing;
        // A peer that takes the connection and never answers its handshake: a's envelope to it waits in its link,
        // and the close waits for it, up to what is left of the goodbye timeout (or until the socket is closed).
        try (ServerSocket mute = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            a.transport().send(new SiloAddress("127.0.0.1", mute.getLocalPort()),
                    this.silos.envelope(a, b, Envelope.Kind.ONE_WAY, new byte[4]));
            a.transport().sayGoodbye(() -> true);
            closing = Thread.ofVirtual().start(a.transport()::close);
            await().atMost(Duration.ofSeconds(5)).until(a.transport()::isClosing);

            Envelope request = this.silos.envelope(a, b, Envelope.Kind.REQUEST, new byte[4]);
            assertThatThrownBy(() -> a.transport().send(b.address(), request).toCompletableFuture().get(5,
                    TimeUnit.SECONDS)).cause()
                // Exactly this class: the routing routes a call again (here: fails it as not run) only for it.
                .isExactlyInstanceOf(LinkBrokenException.class)
                .hasMessageContaining("its transport is closing");
            Envelope oneWay = this.silos.envelope(a, b, Envelope.Kind.ONE_WAY, new byte[4]);
            a.transport().send(b.address(), oneWay).toCompletableFuture().get(5, TimeUnit.SECONDS);
            Envelope arrived = b.recorder().received.poll(5, TimeUnit.SECONDS);
            assertThat(arrived).isNotNull().extracting(Envelope::messageId).isEqualTo(oneWay.messageId());
            assertThat(closing.isAlive()).as("still waiting for the mute peer's link").isTrue();
        }
        assertThat(closing.join(Duration.ofSeconds(15))).isTrue();
        assertThat(b.recorder().received).as("the request never reached b").isEmpty();
    }

    @Test
    void aGoodbyeTimeoutThatIsNotPositiveIsRefusedNamingIt() {
        assertThatIllegalArgumentException().isThrownBy(() -> settings(Duration.ZERO))
            .withMessage("Goodbye timeout must be positive, was PT0S");
        assertThatIllegalArgumentException().isThrownBy(() -> settings(Duration.ofSeconds(-1)))
            .withMessage("Goodbye timeout must be positive, was PT-1S");
    }
}
