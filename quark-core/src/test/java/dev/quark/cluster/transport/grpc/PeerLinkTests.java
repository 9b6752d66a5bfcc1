package dev.quark.cluster.transport.grpc;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import dev.quark.cluster.membership.SiloAddress;
import dev.quark.cluster.transport.Envelope;
import dev.quark.cluster.transport.grpc.Silos.Silo;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.netty.NettyChannelBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

/**
 * A link's streams one after another: what breaks with one stream is that stream's alone.
 */
class PeerLinkTests {

    private static final PeerLink.RenewalListener NO_RENEWALS = (peer, generation) -> {
    };


    private final Silos silos = new Silos();

    private ManagedChannel channel;

    @AfterEach
    void close() {
        if (this.channel != null) {
            this.channel.shutdownNow();
        }
        this.silos.close();
    }

    @Test
    void aBrokenStreamFailsOnlyTheRequestsWrittenOnItNotThoseOnTheLinksNewerStream() {
        GrpcTransportSettings settings = GrpcTransportSettings.builder("bank")
            .reconnectBackoff(Duration.ofMillis(1), Duration.ofMillis(1))
            .build();
        Silo a = this.silos.start("a", settings);
        Silo b = this.silos.start("b", settings);
        this.channel = NettyChannelBuilder.forAddress("127.0.0.1", b.address().port()).usePlaintext().build();
        Map<Long, RuntimeException> lost = new ConcurrentHashMap<>();
        PeerLink[] link = new PeerLink[1];
        Envelope onNewerStream = this.silos.envelope(a, b, Envelope.Kind.REQUEST, new byte[4]);
        AtomicBoolean interposed = new AtomicBoolean();
        // The newer stream opens and carries a request between the old stream breaking and its requests failing.
        OutstandingRequests outstanding = new OutstandingRequests(Clock.systemUTC()) {
            @Override
            List<Long> removeSentOn(Object stream) {
                if (interposed.compareAndSet(false, true)) {
                    await().atMost(Duration.ofSeconds(10)).ignoreExceptions()
                        .until(() -> link[0].send(onNewerStream).get(2, TimeUnit.SECONDS) == null);
                    await().atMost(Duration.ofSeconds(10))
                        .until(() -> b.recorder().received.stream()
                            .anyMatch((envelope) -> envelope.messageId() == onNewerStream.messageId()));
                }
                return super.removeSentOn(stream);
            }
        };
        link[0] = new PeerLink("a", "127.0.0.1", b.address(), Envelope.Lane.CALL, this.channel, settings, outstanding,
                lost::put, NO_RENEWALS);
        Envelope onOldStream = this.silos.envelope(a, b, Envelope.Kind.REQUEST, new byte[4]);
        link[0].send(onOldStream).join();
        await().atMost(Duration.ofSeconds(5)).until(() -> !b.recorder().received.isEmpty());

        ((SiloTransportService) b.transport().bindableService()).endAll();

        await().atMost(Duration.ofSeconds(20)).until(() -> lost.containsKey(onOldStream.messageId()));
        assertThat(lost.get(onOldStream.messageId())).isInstanceOf(LinkBrokenException.class);
        assertThat(lost).doesNotContainKey(onNewerStream.messageId());
        assertThat(link[0].outstanding().get()).isEqualTo(1);
        assertThat(outstanding.size()).isEqualTo(1);
        link[0].close();
    }

    @Test
    void anAnswerFromAnotherSiloThanTheOneAskedLeavesTheRequestToFailWhenItsStreamBreaks() {
        GrpcTransportSettings settings = GrpcTransportSettings.builder("bank")
            .reconnectBackoff(Duration.ofMillis(1), Duration.ofMillis(1))
            .build();
        Silo a = this.silos.start("a", settings);
        Silo b = this.silos.start("b", settings);
        this.channel = NettyChannelBuilder.forAddress("127.0.0.1", b.address().port()).usePlaintext().build();
        Map<Long, RuntimeException> lost = new ConcurrentHashMap<>();
        OutstandingRequests outstanding = new OutstandingRequests(Clock.systemUTC());
        PeerLink link = new PeerLink("a", "127.0.0.1", b.address(), Envelope.Lane.CALL, this.channel, settings,
                outstanding, lost::put, NO_RENEWALS);
        Envelope answered = this.silos.envelope(a, b, Envelope.Kind.REQUEST, new byte[4]);
        Envelope waiting = this.silos.envelope(a, b, Envelope.Kind.REQUEST, new byte[4]);
        link.send(answered).join();
        link.send(waiting).join();
        await().atMost(Duration.ofSeconds(5)).until(() -> b.recorder().received.size() == 2);

        outstanding.answered(answered.messageId(), "b");
        outstanding.answered(waiting.messageId(), "c");
        assertThat(outstanding.size()).as("only the answer of the silo asked counts").isEqualTo(1);
        ((SiloTransportService) b.transport().bindableService()).endAll();

        await().atMost(Duration.ofSeconds(20)).until(() -> lost.containsKey(waiting.messageId()));
        assertThat(lost.get(waiting.messageId())).isInstanceOf(LinkBrokenException.class);
        assertThat(lost).doesNotContainKey(answered.messageId());
        link.close();
    }

    @Test
    void aWriteTheStreamRefusesFailsItsEnvelopeAndLaterSendsGoThroughAgain() throws Exception {
        GrpcTransportSettings settings = GrpcTransportSettings.builder("bank").build();
        Silo a = this.silos.start("a", settings);
        Silo b = this.silos.start("b", settings);
        AtomicInteger messages = new AtomicInteger();
        ClientInterceptor refusesTheSecondMessage = new ClientInterceptor() {

            @Override
            public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options,
                    Channel next) {
                return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {

                    @Override
                    public void sendMessage(Q message) {
                        if (messages.incrementAndGet() == 2) {
                            throw new IllegalStateException("call was half-closed");
                        }
                        super.sendMessage(message);
                    }
                };
            }
        };
        this.channel = NettyChannelBuilder.forAddress("127.0.0.1", b.address().port())
            .usePlaintext()
            .intercept(refusesTheSecondMessage)
            .build();
        PeerLink link = new PeerLink("a", "127.0.0.1", b.address(), Envelope.Lane.CALL, this.channel, settings,
                new OutstandingRequests(Clock.systemUTC()), (messageId, failure) -> { }, NO_RENEWALS);

        CompletableFuture<Void> refused = link.send(this.silos.envelope(a, b, Envelope.Kind.ONE_WAY, new byte[] { 1 }));

        assertThat(catchThrowable(() -> refused.get(10, TimeUnit.SECONDS))).hasCauseInstanceOf(LinkBrokenException.class)
            .hasMessageContaining("call was half-closed");
        await().atMost(Duration.ofSeconds(20)).until(() -> link.send(this.silos.envelope(a, b, Envelope.Kind.ONE_WAY,
                new byte[] { 2 })).handle((done, failure) -> failure == null).get(10, TimeUnit.SECONDS));
        await().atMost(Duration.ofSeconds(10)).until(() -> !b.recorder().received.isEmpty());
        link.close();
    }

    @Test
    void concurrentSendersNeverPutMoreRequestsInFlightThanTheBoundAllows() throws Exception {
        int bound = 10;
        GrpcTransportSettings settings = GrpcTransportSettings.builder("bank").maxInFlight(bound).build();
        Silo a = this.silos.start("a", settings);
        Silo b = this.silos.start("b", settings);
        this.channel = NettyChannelBuilder.forAddress("127.0.0.1", b.address().port()).usePlaintext().build();
        PeerLink link = new PeerLink("a", "127.0.0.1", b.address(), Envelope.Lane.CALL, this.channel, settings,
                new OutstandingRequests(Clock.systemUTC()), (messageId, failure) -> { }, NO_RENEWALS);
        List<CompletableFuture<Void>> sent = new CopyOnWriteArrayList<>();
        for (int round = 0; round < 20 && sent.stream().filter((future) -> !future.isCompletedExceptionally())
            .count() <= bound; round++) {
            CountDownLatch start = new CountDownLatch(1);
            try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int caller = 0; caller < 64; caller++) {
                    callers.execute(() -> {
                        awaitQuietly(start);
                        // Requests stay in flight: the far side records them and never answers.
                        sent.add(link.send(this.silos.envelope(a, b, Envelope.Kind.REQUEST, new byte[] { 1 })));
                    });
                }
                start.countDown();
            }
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> sent.stream().allMatch(CompletableFuture::isDone));
        assertThat(sent.stream().filter((future) -> !future.isCompletedExceptionally()).count())
            .as("requests accepted while none was answered").isEqualTo(bound);
        assertThat(sent).filteredOn(CompletableFuture::isCompletedExceptionally)
            .allSatisfy((future) -> assertThat(catchThrowable(future::join)).hasCauseInstanceOf(PeerOverloadedException.class));
        link.close();
    }

    @Test
    void aRequestThatCannotBeCountedAsOutstandingFailsAndGivesItsPlaceInFlightBack() throws Exception {
        int bound = 2;
        GrpcTransportSettings settings = GrpcTransportSettings.builder("bank").maxInFlight(bound).build();
        Silo a = this.silos.start("a", settings);
        Silo b = this.silos.start("b", settings);
        this.channel = NettyChannelBuilder.forAddress("127.0.0.1", b.address().port()).usePlaintext().build();
        AtomicBoolean thrown = new AtomicBoolean();
        OutstandingRequests outstanding = new OutstandingRequests(Clock.systemUTC()) {
            @Override
            void add(long messageId, String targetSiloId, PeerLink link, Object stream, long deadlineEpochMillis) {
                if (thrown.compareAndSet(false, true)) {
                    throw new IllegalStateException("no room to track it");
                }
                super.add(messageId, targetSiloId, link, stream, deadlineEpochMillis);
            }
        };
        PeerLink link = new PeerLink("a", "127.0.0.1", b.address(), Envelope.Lane.CALL, this.channel, settings,
                outstanding, (messageId, failure) -> { }, NO_RENEWALS);

        CompletableFuture<Void> untracked = link.send(this.silos.envelope(a, b, Envelope.Kind.REQUEST, new byte[1]));

        assertThat(catchThrowable(() -> untracked.get(10, TimeUnit.SECONDS))).cause()
            .isInstanceOf(LinkBrokenException.class)
            .hasMessageContaining("no room to track it");
        assertThat(link.queued()).isZero();
        assertThat(link.outstanding().get()).isZero();
        // Requests stay in flight: the far side records them and never answers. Both fit under the bound.
        for (int i = 0; i < bound; i++) {
            link.send(this.silos.envelope(a, b, Envelope.Kind.REQUEST, new byte[1])).get(10, TimeUnit.SECONDS);
        }
        assertThat(link.queued()).isZero();
        assertThat(link.outstanding().get()).isEqualTo(bound);
        link.close();
    }

    @Test
    void aFailureWhileCheckingTheBoundGivesThePlaceReservedBack() throws Exception {
        GrpcTransportSettings settings = GrpcTransportSettings.builder("bank").maxInFlight(1).build();
        Silo a = this.silos.start("a", settings);
        Silo b = this.silos.start("b", settings);
        this.channel = NettyChannelBuilder.forAddress("127.0.0.1", b.address().port()).usePlaintext().build();
        AtomicBoolean thrown = new AtomicBoolean();
        OutstandingRequests outstanding = new OutstandingRequests(Clock.systemUTC()) {
            @Override
            void sweep() {
                if (thrown.compareAndSet(false, true)) {
                    throw new IllegalStateException("sweep failed");
                }
                super.sweep();
            }
        };
        PeerLink link = new PeerLink("a", "127.0.0.1", b.address(), Envelope.Lane.CALL, this.channel, settings,
                outstanding, (messageId, failure) -> { }, NO_RENEWALS);
        link.send(this.silos.envelope(a, b, Envelope.Kind.REQUEST, new byte[1])).get(10, TimeUnit.SECONDS);

        CompletableFuture<Void> beyond = link.send(this.silos.envelope(a, b, Envelope.Kind.REQUEST, new byte[1]));

        assertThat(catchThrowable(() -> beyond.get(10, TimeUnit.SECONDS))).cause().hasMessage("sweep failed");
        assertThat(link.queued()).isZero();
        assertThat(link.outstanding().get()).isEqualTo(1);
        link.close();
    }

    @Test
    void concurrentSendersEachArriveInTheirOrderAndEveryFutureCompletes() throws Exception {
        int senders = 32;
        int perSender = 200;
        GrpcTransportSettings settings = GrpcTransportSettings.builder("bank").maxInFlight(senders * perSender).build();
        Silo a = this.silos.start("a", settings);
        Silo b = this.silos.start("b", settings);
        this.channel = NettyChannelBuilder.forAddress("127.0.0.1", b.address().port()).usePlaintext().build();
        PeerLink link = new PeerLink("a", "127.0.0.1", b.address(), Envelope.Lane.CALL, this.channel, settings,
                new OutstandingRequests(Clock.systemUTC()), (messageId, failure) -> { }, NO_RENEWALS);
        List<CompletableFuture<Void>> sent = new CopyOnWriteArrayList<>();
        CountDownLatch start = new CountDownLatch(1);
        try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int sender = 0; sender < senders; sender++) {
                int from = sender;
                callers.execute(() -> {
                    awaitQuietly(start);
                    for (int i = 0; i < perSender; i++) {
                        byte[] payload = ByteBuffer.allocate(8).putInt(from).putInt(i).array();
                        sent.add(link.send(this.silos.envelope(a, b, Envelope.Kind.ONE_WAY, payload)));
                    }
                });
            }
            start.countDown();
        }

        CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get(20, TimeUnit.SECONDS);
        assertThat(sent).hasSize(senders * perSender).allMatch((future) -> future.isDone()
                && !future.isCompletedExceptionally());
        await().atMost(Duration.ofSeconds(20)).until(() -> b.recorder().received.size() == senders * perSender);
        int[] next = new int[senders];
        for (Envelope envelope : b.recorder().received) {
            ByteBuffer payload = ByteBuffer.wrap(envelope.payload());
            int from = payload.getInt();
            assertThat(payload.getInt()).as("envelope of sender %d", from).isEqualTo(next[from]);
            next[from]++;
        }
        assertThat(next).containsOnly(perSender);
        assertThat(link.queued()).isZero();
        link.close();
    }

    @Test
    void aStreamThatBreaksWhileEnvelopesAreQueuedFailsEachOfThemWithALinkBrokenException() throws Exception {
        GrpcTransportSettings settings = GrpcTransportSettings.builder("bank").maxInFlight(1_000).inboundWindow(1)
            .reconnectBackoff(Duration.ofSeconds(30), Duration.ofSeconds(30))
            .build();
        Silo a = this.silos.start("a", settings);
        CountDownLatch release = new CountDownLatch(1);
        Silos.Recorder blocking = new Silos.Recorder() {
            @Override
            public void receive(Envelope envelope) {
                awaitQuietly(release);
                super.receive(envelope);
            }
        };
        GrpcTransport bTransport = GrpcTransport.selfHosted(settings, new InetSocketAddress("127.0.0.1", 0), null);
        try {
            SiloAddress bAddress = bTransport.start("b", blocking);
            Silo b = new Silo("b", bAddress, bTransport, blocking);
            this.channel = NettyChannelBuilder.forAddress("127.0.0.1", bAddress.port()).usePlaintext().build();
            PeerLink link = new PeerLink("a", "127.0.0.1", bAddress, Envelope.Lane.CALL, this.channel, settings,
                    new OutstandingRequests(Clock.systemUTC()), (messageId, failure) -> { }, NO_RENEWALS);
            List<CompletableFuture<Void>> sent = new ArrayList<>();
            // The receiver holds the first envelope: gRPC's flow control stops the stream, and the rest wait queued.
            for (int i = 0; i < 600; i++) {
                sent.add(link.send(this.silos.envelope(a, b, Envelope.Kind.ONE_WAY, new byte[16 * 1024])));
            }
            // Until gRPC's buffer is full a few more envelopes may leave the queue: wait until the count stays put.
            int[] lastQueued = { -1 };
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).until(() -> {
                int queued = link.queued();
                boolean settled = queued > 0 && queued == lastQueued[0];
                lastQueued[0] = queued;
                return settled;
            });
            int queuedAtBreak = link.queued();

            ((SiloTransportService) bTransport.bindableService()).endAll();

            await().atMost(Duration.ofSeconds(20)).until(() -> sent.stream().allMatch(CompletableFuture::isDone));
            List<Throwable> failures = sent.stream().filter(CompletableFuture::isCompletedExceptionally)
                .map((future) -> future.handle((ok, failure) -> failure).join())
                .toList();
            assertThat(failures).hasSizeGreaterThanOrEqualTo(queuedAtBreak)
                .allSatisfy((failure) -> assertThat(failure).isInstanceOf(LinkBrokenException.class)
                    .hasMessageContaining("lane CALL"));
            assertThat(link.queued()).isZero();
            assertThat(link.send(this.silos.envelope(a, b, Envelope.Kind.ONE_WAY, new byte[1])))
                .failsWithin(Duration.ofSeconds(5))
                .withThrowableThat()
                .havingCause()
                .isInstanceOf(LinkBrokenException.class)
                .withMessageContaining("is down after 1 failure(s)");
            link.close();
        }
        finally {
            release.countDown();
            bTransport.close();
        }
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(20, TimeUnit.SECONDS);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }
}
