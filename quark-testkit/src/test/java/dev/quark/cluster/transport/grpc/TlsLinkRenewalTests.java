package dev.quark.cluster.transport.grpc;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

import dev.quark.cluster.membership.SiloAddress;
import dev.quark.cluster.transport.Envelope;
import dev.quark.cluster.transport.EnvelopeHandler;
import dev.quark.cluster.transport.grpc.GrpcTransportMetrics.LinkRenewalCause;
import dev.quark.cluster.transport.grpc.proto.ClientFrame;
import dev.quark.cluster.transport.grpc.proto.Hello;
import dev.quark.cluster.transport.grpc.proto.Lane;
import dev.quark.cluster.transport.grpc.proto.ServerFrame;
import dev.quark.cluster.transport.grpc.proto.SiloTransportGrpc;
import dev.quark.testkit.server.TcpProxy;
import dev.quark.testkit.tls.TestCertificateAuthority;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.TlsServerCredentials.ClientAuth;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Links open when a silo's TLS material is updated move to new connections, which use the new material, without
 * failing, losing or reordering anything they carry.
 */
class TlsLinkRenewalTests {

    private final TestCertificateAuthority cluster = TestCertificateAuthority.create("cluster-ca");

    private final List<GrpcTransport> transports = new ArrayList<>();

    private final AtomicLong ids = new AtomicLong(1);

    @AfterEach
    void close() {
        this.transports.forEach(GrpcTransport::close);
    }

    /**
     * The silo's new certificate is one its peer does not trust: the open link, renewed, is refused. Without the
     * renewal it would go on over its old connection, with the old certificate, for as long as that lives.
     */
    @Test
    void anOpenLinkMovesToTheUpdatedCertificate() throws Exception {
        Silo strict = start("strict", mutual(this.cluster.issue("strict").keyManagers()), (envelope) -> {
        });
        SiloTls rotatingTls = mutual(this.cluster.issue("rotating").keyManagers());
        Silo rotating = start("rotating", rotatingTls, (envelope) -> {
        });
        rotating.transport().send(strict.address(), oneWay(rotating, strict)).toCompletableFuture().get(10,
                TimeUnit.SECONDS);
        assertThat(strict.received().poll(10, TimeUnit.SECONDS)).isNotNull();

        TestCertificateAuthority other = TestCertificateAuthority.create("other-ca");
        rotatingTls.update(other.issue("rotating").keyManagers(), this.cluster.trustManagers());

        awaitRefusedHandshake(rotating, strict);
    }

    /**
     * The links a peer opened to a silo whose material is updated move too, as the silo asks: here its new certificate
     * is one the peer does not trust, so the peer's renewed link is refused. Without the request the peer's link would
     * go on over its old connection, with the old certificate.
     */
    @Test
    void aPeersOpenLinkToTheSiloMovesWhenTheSiloAsks() throws Exception {
        Silo strict = start("strict", mutual(this.cluster.issue("strict").keyManagers()), (envelope) -> {
        });
        SiloTls rotatingTls = mutual(this.cluster.issue("rotating").keyManagers());
        Silo rotating = start("rotating", rotatingTls, (envelope) -> {
        });
        strict.transport().send(rotating.address(), oneWay(strict, rotating)).toCompletableFuture().get(10,
                TimeUnit.SECONDS);
        assertThat(rotating.received().poll(10, TimeUnit.SECONDS)).isNotNull();

        TestCertificateAuthority other = TestCertificateAuthority.create("other-ca");
        rotatingTls.update(other.issue("rotating").keyManagers(), this.cluster.trustManagers());

        awaitRefusedHandshake(strict, rotating);
    }

    /**
     * A peer whose connection to the silo broke before the silo's material was updated has no stream to be asked on;
     * it reconnects on its old channel, and the new connection's handshake presents the new certificate (the silo does
     * not resume the old session with it): here one the peer does not trust, so the reconnected link is refused.
     */
    @Test
    void aPeerReconnectingAfterTheUpdateMeetsTheNewCertificate() throws Exception {
        Silo strict = start("strict", mutual(this.cluster.issue("strict").keyManagers()), (envelope) -> {
        });
        SiloTls rotatingTls = mutual(this.cluster.issue("rotating").keyManagers());
        Silo rotating = start("rotating", rotatingTls, (envelope) -> {
        });
        try (TcpProxy proxy = TcpProxy.start(rotating.address().host(), rotating.address().port())) {
            SiloAddress viaProxy = new SiloAddress(proxy.host(), proxy.port());
            strict.transport().send(viaProxy, oneWay(strict, rotating)).toCompletableFuture().get(10,
                    TimeUnit.SECONDS);
            assertThat(rotating.received().poll(10, TimeUnit.SECONDS)).isNotNull();
            proxy.cut();

            TestCertificateAuthority other = TestCertificateAuthority.create("other-ca");
            rotatingTls.update(other.issue("rotating").keyManagers(), this.cluster.trustManagers());
            proxy.restore();

            awaitRefusedHandshake(strict, viaProxy, rotating);
        }
    }

    /**
     * A stream accepted after the silo's material was updated, on a connection made before, is asked to move right
     * after its {@code Accepted}: its peer had no stream to be asked on at the update (being opened, or broken while
     * the connection lived on). A stream on a connection made after the update is not asked.
     */
    @Test
    void aStreamAcceptedAfterTheUpdateOnAConnectionFromBeforeIsAskedToMove() throws Exception {
        SiloTls rotatingTls = mutual(this.cluster.issue("rotating").keyManagers());
        Silo rotating = start("rotating", rotatingTls, (envelope) -> {
        });
        SiloTls peerTls = mutual(this.cluster.issue("peer").keyManagers());
        ManagedChannel before = Grpc.newChannelBuilderForAddress("127.0.0.1", rotating.address().port(),
                peerTls.channelCredentials()).build();
        ManagedChannel after = null;
        try {
            assertThat(linkOnce(before)).singleElement().satisfies((frame) -> assertThat(frame.hasAccepted()).isTrue());

            rotatingTls.update(this.cluster.issue("rotating-renewed").keyManagers(), this.cluster.trustManagers());

            List<ServerFrame> onTheOldConnection = linkOnce(before);
            assertThat(onTheOldConnection).hasSize(2);
            assertThat(onTheOldConnection.get(0).hasAccepted()).isTrue();
            assertThat(onTheOldConnection.get(1).getRenew().getSiloId()).isEqualTo("rotating");
            after = Grpc.newChannelBuilderForAddress("127.0.0.1", rotating.address().port(),
                    peerTls.channelCredentials()).build();
            assertThat(linkOnce(after)).as("a stream on a connection made after the update")
                .singleElement()
                .satisfies((frame) -> assertThat(frame.hasAccepted()).isTrue());
        }
        finally {
            before.shutdownNow();
            if (after != null) {
                after.shutdownNow();
            }
        }
    }

    /**
     * As above, on a transport an application's gRPC server serves, the service wrapped in the application's
     * interceptors as Spring gRPC wraps it: the stream's TLS session still reaches the service.
     */
    @Test
    void aStreamOnAServedTransportBehindTheApplicationsInterceptorsIsAskedToo() throws Exception {
        SiloTls rotatingTls = mutual(this.cluster.issue("rotating").keyManagers());
        GrpcTransport served = GrpcTransport.served(GrpcTransportSettings.builder("bank").build(),
                new SiloAddress("127.0.0.1", 1), rotatingTls);
        this.transports.add(served);
        Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0),
                rotatingTls.serverCredentials())
            .addService(ServerInterceptors.interceptForward(served.bindableService(), new ServerInterceptor() {
                @Override
                public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                        ServerCallHandler<Q, R> next) {
                    return next.startCall(call, headers);
                }
            }))
            .build()
            .start();
        ManagedChannel before = Grpc.newChannelBuilderForAddress("127.0.0.1", server.getPort(),
                mutual(this.cluster.issue("peer").keyManagers()).channelCredentials()).build();
        try {
            served.start("rotating", new EnvelopeHandler() {
                @Override
                public void receive(Envelope envelope) {
                }
            });
            assertThat(linkOnce(before)).singleElement().satisfies((frame) -> assertThat(frame.hasAccepted()).isTrue());

            rotatingTls.update(this.cluster.issue("rotating-renewed").keyManagers(), this.cluster.trustManagers());

            List<ServerFrame> onTheOldConnection = linkOnce(before);
            assertThat(onTheOldConnection).hasSize(2);
            assertThat(onTheOldConnection.get(1).getRenew().getSiloId()).isEqualTo("rotating");
        }
        finally {
            before.shutdownNow();
            server.shutdownNow();
        }
    }

    /**
     * A peer with several streams to the silo is asked on each, with the same generation, and moves its links once:
     * a renewal per stream would each retire the links the one before had just opened.
     */
    @Test
    void aPeerAskedOnEachOfItsStreamsMovesItsLinksOnce() throws Exception {
        SiloTls rotatingTls = mutual(this.cluster.issue("rotating").keyManagers());
        Map<LinkRenewalCause, AtomicInteger> renewed = new ConcurrentHashMap<>();
        Silo rotating = start("rotating", rotatingTls, Duration.ofSeconds(30), counting(renewed), (envelope) -> {
        });
        Map<LinkRenewalCause, AtomicInteger> renewals = new ConcurrentHashMap<>();
        Silo peer = start("peer", mutual(this.cluster.issue("peer").keyManagers()), Duration.ofSeconds(30),
                counting(renewals), (envelope) -> {
                });
        sendOnTheCallAndReplyLanes(peer, rotating);

        rotatingTls.update(this.cluster.issue("rotating-renewed").keyManagers(), this.cluster.trustManagers());

        await().atMost(Duration.ofSeconds(10)).until(() -> renewals.containsKey(LinkRenewalCause.PEER_ASKED));
        // Written once both links moved to new streams: each old stream ended after the Renew frame it carried.
        sendOnTheCallAndReplyLanes(peer, rotating);
        assertThat(renewals.get(LinkRenewalCause.PEER_ASKED)).as("renewals the peer made as asked").hasValue(1);
        assertThat(renewed).as("renewals of the silo whose material was updated")
            .containsOnlyKeys(LinkRenewalCause.MATERIAL_UPDATED);
        assertThat(renewed.get(LinkRenewalCause.MATERIAL_UPDATED)).hasValue(1);
    }

    /** Metrics that count the renewals by cause into the map. */
    private static GrpcTransportMetrics counting(Map<LinkRenewalCause, AtomicInteger> renewals) {
        return new GrpcTransportMetrics() {

            @Override
            public void linksRenewed(LinkRenewalCause cause) {
                renewals.computeIfAbsent(cause, (c) -> new AtomicInteger()).incrementAndGet();
            }
        };
    }

    /** Sends a one-way call and an answer from one silo to the other, and waits until both arrived. */
    private void sendOnTheCallAndReplyLanes(Silo from, Silo to) throws Exception {
        from.transport().send(to.address(), oneWay(from, to)).toCompletableFuture().get(10, TimeUnit.SECONDS);
        from.transport().send(to.address(), response(from, request(to, from))).toCompletableFuture().get(10,
                TimeUnit.SECONDS);
        for (int i = 0; i < 2; i++) {
            assertThat(to.received().poll(10, TimeUnit.SECONDS)).isNotNull();
        }
    }

    /**
     * A silo sending requests, 64 in flight, while its certificate is updated: every request is answered, none is
     * failed, lost or in doubt, they arrive in the order sent, and the peer made a new handshake for them.
     */
    @Test
    void linksRenewedUnderLoadFailLoseAndReorderNothing() throws Exception {
        AtomicInteger handshakes = new AtomicInteger();
        KeyManager[] counted = { new CountingKeyManager(
                (X509ExtendedKeyManager) this.cluster.issue("strict").keyManagers()[0], handshakes) };
        List<Long> arrived = new ArrayList<>();
        AtomicReference<@Nullable Silo> strictRef = new AtomicReference<>();
        Set<Long> answered = ConcurrentHashMap.newKeySet();
        Semaphore window = new Semaphore(64);
        Map<Long, RuntimeException> failed = new ConcurrentHashMap<>();
        SiloTls rotatingTls = mutual(this.cluster.issue("rotating").keyManagers());
        Silo rotating = start("rotating", rotatingTls, (answer) -> {
            answered.add(answer.correlationId());
            window.release();
        });
        Silo strict = start("strict", mutual(counted), (request) -> {
            synchronized (arrived) {
                arrived.add(request.messageId());
            }
            Silo self = Objects.requireNonNull(strictRef.get());
            self.transport().send(rotating.address(), response(self, request));
        });
        strictRef.set(strict);

        int requests = 3_000;
        List<Long> sent = new ArrayList<>();
        int handshakesBefore = -1;
        for (int i = 0; i < requests; i++) {
            assertThat(window.tryAcquire(10, TimeUnit.SECONDS)).as("an answer within 10 s, request %d", i).isTrue();
            if (i == requests / 3) {
                handshakesBefore = handshakes.get();
                rotatingTls.update(this.cluster.issue("rotating-renewed").keyManagers(), this.cluster.trustManagers());
            }
            Envelope request = request(rotating, strict);
            sent.add(request.messageId());
            rotating.transport().send(strict.address(), request).whenComplete((written, failure) -> {
                if (failure != null) {
                    failed.put(request.messageId(), (RuntimeException) failure);
                    window.release();
                }
            });
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> answered.size() + failed.size() >= requests);

        assertThat(failed).as("requests not sent").isEmpty();
        assertThat(answered).hasSize(requests);
        assertThat(rotating.lost()).as("requests lost or in doubt").isEmpty();
        synchronized (arrived) {
            assertThat(arrived).as("the order sent").containsExactlyElementsOf(sent);
        }
        assertThat(handshakes.get()).as("handshakes with the peer after the update").isGreaterThan(handshakesBefore);
    }

    /**
     * Requests written before the renewal whose answers come later than the goodbye timeout are answered, not
     * reported in doubt: the peer ended the old stream as it should, and the answers come on its own streams.
     */
    @Test
    void requestsAnsweredLongAfterTheRenewalAreNotInDoubt() throws Exception {
        Set<Long> answered = ConcurrentHashMap.newKeySet();
        SiloTls rotatingTls = mutual(this.cluster.issue("rotating").keyManagers());
        Silo rotating = start("rotating", rotatingTls, Duration.ofSeconds(1),
                (answer) -> answered.add(answer.correlationId()));
        AtomicReference<@Nullable Silo> strictRef = new AtomicReference<>();
        Silo strict = start("strict", mutual(this.cluster.issue("strict").keyManagers()), (request) -> {
            Silo self = Objects.requireNonNull(strictRef.get());
            CompletableFuture.delayedExecutor(2, TimeUnit.SECONDS)
                .execute(() -> self.transport().send(rotating.address(), response(self, request)));
        });
        strictRef.set(strict);
        List<Long> sent = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            Envelope request = request(rotating, strict);
            sent.add(request.messageId());
            rotating.transport().send(strict.address(), request).toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> strict.received().size() == 10);

        rotatingTls.update(this.cluster.issue("rotating-renewed").keyManagers(), this.cluster.trustManagers());

        await().atMost(Duration.ofSeconds(15)).until(() -> answered.size() == 10);
        assertThat(answered).containsExactlyInAnyOrderElementsOf(sent);
        assertThat(rotating.lost()).as("requests reported lost or in doubt").isEmpty();
    }

    /** Waits until a send from one silo to the other fails for a refused TLS handshake. */
    private void awaitRefusedHandshake(Silo from, Silo to) {
        awaitRefusedHandshake(from, to.address(), to);
    }

    private void awaitRefusedHandshake(Silo from, SiloAddress at, Silo to) {
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).until(() -> {
            try {
                from.transport().send(at, oneWay(from, to)).toCompletableFuture().get(5, TimeUnit.SECONDS);
                return false;
            }
            catch (Exception ex) {
                return ex.getCause() instanceof TlsHandshakeException;
            }
        });
    }

    /**
     * Opens a {@code Link} stream on the channel, says hello, half-closes it once accepted and returns what the silo
     * wrote on it until it ended the stream.
     */
    private static List<ServerFrame> linkOnce(ManagedChannel channel) throws Exception {
        List<ServerFrame> frames = new CopyOnWriteArrayList<>();
        CompletableFuture<Void> ended = new CompletableFuture<>();
        StreamObserver<ClientFrame> stream = SiloTransportGrpc.newStub(channel).link(new StreamObserver<>() {
            @Override
            public void onNext(ServerFrame frame) {
                frames.add(frame);
            }

            @Override
            public void onError(Throwable failure) {
                ended.completeExceptionally(failure);
            }

            @Override
            public void onCompleted() {
                ended.complete(null);
            }
        });
        stream.onNext(ClientFrame.newBuilder()
            .setHello(Hello.newBuilder().setClusterName("bank").setProtocolVersion(GrpcTransport.PROTOCOL_VERSION)
                .setSourceSiloId("peer").setLane(Lane.LANE_CALL))
            .build());
        await().atMost(Duration.ofSeconds(10)).until(() -> !frames.isEmpty());
        stream.onCompleted();
        ended.get(10, TimeUnit.SECONDS);
        return frames;
    }

    private SiloTls mutual(KeyManager[] keyManagers) {
        return SiloTls.of(keyManagers, this.cluster.trustManagers(), ClientAuth.REQUIRE);
    }

    private Silo start(String siloId, SiloTls tls, Consumer<Envelope> onReceive) {
        // A goodbye timeout far beyond the peer's end of a renewed stream, even on a loaded machine.
        return start(siloId, tls, Duration.ofSeconds(30), onReceive);
    }

    private Silo start(String siloId, SiloTls tls, Duration goodbyeTimeout, Consumer<Envelope> onReceive) {
        return start(siloId, tls, goodbyeTimeout, GrpcTransportMetrics.NONE, onReceive);
    }

    private Silo start(String siloId, SiloTls tls, Duration goodbyeTimeout, GrpcTransportMetrics metrics,
            Consumer<Envelope> onReceive) {
        GrpcTransport transport = GrpcTransport.selfHosted(GrpcTransportSettings.builder("bank")
            .reconnectBackoff(Duration.ofMillis(50), Duration.ofMillis(200))
            .goodbyeTimeout(goodbyeTimeout)
            .build(), new InetSocketAddress("127.0.0.1", 0), null, tls, metrics);
        this.transports.add(transport);
        BlockingQueue<Envelope> received = new LinkedBlockingQueue<>();
        Map<Long, RuntimeException> lost = new ConcurrentHashMap<>();
        SiloAddress address = transport.start(siloId, new EnvelopeHandler() {
            @Override
            public void receive(Envelope envelope) {
                received.add(envelope);
                onReceive.accept(envelope);
            }

            @Override
            public void lost(long messageId, RuntimeException failure) {
                lost.put(messageId, failure);
            }
        });
        return new Silo(siloId, address, transport, received, lost);
    }

    private Envelope oneWay(Silo from, Silo to) {
        return envelope(from, to, Envelope.Kind.ONE_WAY);
    }

    private Envelope request(Silo from, Silo to) {
        return envelope(from, to, Envelope.Kind.REQUEST);
    }

    private Envelope envelope(Silo from, Silo to, Envelope.Kind kind) {
        long id = this.ids.getAndIncrement();
        return new Envelope(id, id, kind, from.id(), 1, from.address(), to.id(), 1, "account", "acc-" + id, 7,
                new byte[] { 1, 2, 3 }, 42, "req-" + id, Map.of(), System.currentTimeMillis() + 60_000, 3, 0);
    }

    private Envelope response(Silo from, Envelope request) {
        long id = this.ids.getAndIncrement();
        return new Envelope(id, request.messageId(), Envelope.Kind.RESPONSE, from.id(), 1, from.address(),
                request.sourceSiloId(), 1, null, null, 0, new byte[0], request.callChainId(), null, Map.of(),
                request.deadlineEpochMillis(), 3, 0);
    }

    private record Silo(String id, SiloAddress address, GrpcTransport transport, BlockingQueue<Envelope> received,
            Map<Long, RuntimeException> lost) {
    }

    /** A key manager that counts the handshakes in which it chose the server's certificate. */
    private static final class CountingKeyManager extends X509ExtendedKeyManager {

        private final X509ExtendedKeyManager delegate;

        private final AtomicInteger handshakes;

        CountingKeyManager(X509ExtendedKeyManager delegate, AtomicInteger handshakes) {
            this.delegate = delegate;
            this.handshakes = handshakes;
        }

        @Override
        public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
            this.handshakes.incrementAndGet();
            return this.delegate.chooseEngineServerAlias(keyType, issuers, engine);
        }

        @Override
        public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
            return this.delegate.chooseEngineClientAlias(keyType, issuers, engine);
        }

        @Override
        public String[] getClientAliases(String keyType, Principal[] issuers) {
            return this.delegate.getClientAliases(keyType, issuers);
        }

        @Override
        public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
            return this.delegate.chooseClientAlias(keyType, issuers, socket);
        }

        @Override
        public String[] getServerAliases(String keyType, Principal[] issuers) {
            return this.delegate.getServerAliases(keyType, issuers);
        }

        @Override
        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            return this.delegate.chooseServerAlias(keyType, issuers, socket);
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            return this.delegate.getCertificateChain(alias);
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            return this.delegate.getPrivateKey(alias);
        }
    }
}
