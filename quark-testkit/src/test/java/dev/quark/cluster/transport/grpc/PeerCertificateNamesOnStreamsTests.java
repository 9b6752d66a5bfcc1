package dev.quark.cluster.transport.grpc;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;

import dev.quark.cluster.membership.SiloAddress;
import dev.quark.cluster.transport.Envelope;
import dev.quark.cluster.transport.EnvelopeHandler;
import dev.quark.cluster.transport.grpc.proto.ClientFrame;
import dev.quark.cluster.transport.grpc.proto.Hello;
import dev.quark.cluster.transport.grpc.proto.Lane;
import dev.quark.cluster.transport.grpc.proto.ServerFrame;
import dev.quark.cluster.transport.grpc.proto.SiloTransportGrpc;
import dev.quark.testkit.tls.TestCertificateAuthority;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.TlsServerCredentials.ClientAuth;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Where a silo refuses a peer whose certificate does not name the host it sends from: at the handshake when the
 * {@code Hello} names that host, before the stream is accepted (so the peer backs off as from any refused
 * handshake), and at its first envelope for a peer from before that field.
 */
class PeerCertificateNamesOnStreamsTests {

    private final TestCertificateAuthority cluster = TestCertificateAuthority.create("streams-ca");

    private final BlockingQueue<Envelope> received = new LinkedBlockingQueue<>();

    private @Nullable GrpcTransport member;

    private @Nullable ManagedChannel channel;

    private SiloAddress address;

    @BeforeEach
    void start() {
        GrpcTransport transport = GrpcTransport.selfHosted(GrpcTransportSettings.builder("bank").build(),
                new InetSocketAddress("127.0.0.1", 0), null, SiloTls.of(this.cluster.issue("member").keyManagers(),
                        this.cluster.trustManagers(), ClientAuth.REQUIRE));
        this.member = transport;
        this.address = transport.start("member", new EnvelopeHandler() {
            @Override
            public void receive(Envelope envelope) {
                PeerCertificateNamesOnStreamsTests.this.received.add(envelope);
            }
        });
        this.channel = NettyChannelBuilder.forAddress("127.0.0.1", this.address.port(), TlsChannelCredentials.newBuilder()
            .keyManager(this.cluster.issueNaming("misnamed", "silos.shop.internal").keyManagers())
            .trustManager(this.cluster.trustManagers())
            .build()).build();
    }

    @AfterEach
    void close() {
        if (this.channel != null) {
            this.channel.shutdownNow();
        }
        if (this.member != null) {
            this.member.close();
        }
    }

    @Test
    void aHandshakeNamingAHostTheCertificateDoesNotNameIsRefusedBeforeItIsAccepted() {
        Recorder recorder = new Recorder();
        StreamObserver<ClientFrame> stream = SiloTransportGrpc.newStub(this.channel).link(recorder);
        stream.onNext(hello("127.0.0.1"));
        Status status = recorder.awaitError();
        assertThat(status.getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
        assertThat(status.getDescription()).contains("Silo member refuses silo misnamed",
                "names [DNS:silos.shop.internal]", "does not name 127.0.0.1");
        assertThat(recorder.frames).as("never accepted").isEmpty();
    }

    @Test
    void aPeerFromBeforeTheHelloNamedItsHostIsRefusedAtItsFirstEnvelope() {
        Recorder recorder = new Recorder();
        StreamObserver<ClientFrame> stream = SiloTransportGrpc.newStub(this.channel).link(recorder);
        stream.onNext(hello(""));
        await().atMost(Duration.ofSeconds(10)).until(() -> !recorder.frames.isEmpty());
        assertThat(recorder.frames.get(0).hasAccepted()).isTrue();
        stream.onNext(EnvelopeFrames.toFrame(new Envelope(1, 1, Envelope.Kind.ONE_WAY, "misnamed", 1,
                new SiloAddress("127.0.0.1", 9), "member", 0, "account", "acc-1", 7, new byte[] { 1 }, 42, "req-1",
                Map.of(), System.currentTimeMillis() + 60_000, 3, 0)));
        Status status = recorder.awaitError();
        assertThat(status.getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
        assertThat(status.getDescription()).contains("does not name 127.0.0.1");
        assertThat(this.received).as("nothing delivered").isEmpty();
    }

    private static ClientFrame hello(String sourceHost) {
        return ClientFrame.newBuilder()
            .setHello(Hello.newBuilder()
                .setClusterName("bank")
                .setProtocolVersion(GrpcTransport.PROTOCOL_VERSION)
                .setSourceSiloId("misnamed")
                .setSourceHost(sourceHost)
                .setLane(Lane.LANE_CALL))
            .build();
    }

    private static final class Recorder implements StreamObserver<ServerFrame> {

        final List<ServerFrame> frames = new CopyOnWriteArrayList<>();

        final List<Throwable> errors = new CopyOnWriteArrayList<>();

        @Override
        public void onNext(ServerFrame frame) {
            this.frames.add(frame);
        }

        @Override
        public void onError(Throwable failure) {
            this.errors.add(failure);
        }

        @Override
        public void onCompleted() {
        }

        Status awaitError() {
            await().atMost(Duration.ofSeconds(10)).until(() -> !this.errors.isEmpty());
            assertThat(this.errors.get(0)).isInstanceOf(StatusRuntimeException.class);
            return ((StatusRuntimeException) this.errors.get(0)).getStatus();
        }
    }
}
