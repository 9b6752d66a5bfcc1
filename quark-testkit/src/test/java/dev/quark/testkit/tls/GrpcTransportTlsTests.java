package dev.quark.testkit.tls;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLException;

import dev.quark.cluster.membership.SiloAddress;
import dev.quark.cluster.transport.Envelope;
import dev.quark.cluster.transport.EnvelopeHandler;
import dev.quark.cluster.transport.LinkRefusal;
import dev.quark.cluster.transport.grpc.GrpcTransport;
import dev.quark.cluster.transport.grpc.GrpcTransportSettings;
import dev.quark.cluster.transport.grpc.HandshakeRefusedException;
import dev.quark.cluster.transport.grpc.LinkBrokenException;
import dev.quark.cluster.transport.grpc.SiloTls;
import dev.quark.cluster.transport.grpc.TlsHandshakeException;
import dev.quark.cluster.transport.grpc.proto.ClientFrame;
import dev.quark.cluster.transport.grpc.proto.Hello;
import dev.quark.cluster.transport.grpc.proto.Lane;
import dev.quark.cluster.transport.grpc.proto.ServerFrame;
import dev.quark.cluster.transport.grpc.proto.SiloTransportGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.TlsServerCredentials.ClientAuth;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

/**
 * Self-hosted gRPC transports on 127.0.0.1 with mutual TLS, certificates made by test authorities: silos of one
 * authority talk; a silo without a certificate, or with one of another authority, cannot send to them; new key
 * material is used by the next connection.
 */
class GrpcTransportTlsTests {

    private final TestCertificateAuthority cluster = TestCertificateAuthority.create("cluster-ca");

    private final List<GrpcTransport> transports = new ArrayList<>();

    private final AtomicLong ids = new AtomicLong(1);

    private @Nullable ManagedChannel channel;

    @AfterEach
    void close() {
        if (this.channel != null) {
            this.channel.shutdownNow();
        }
        this.transports.forEach(GrpcTransport::close);
    }

    @Test
    void silosWithCertificatesOfTheClusterAuthorityExchangeEnvelopesOverMutualTls() throws Exception {
        List<Silo> silos = List.of(start("a", mutual(this.cluster.issue("a"))),
                start("b", mutual(this.cluster.issue("b"))), start("c", mutual(this.cluster.issue("c"))));
        for (Silo from : silos) {
            for (Silo to : silos) {
                if (from != to) {
                    Envelope sent = envelope(from, to);
                    from.transport().send(to.address(), sent).toCompletableFuture().get(10, TimeUnit.SECONDS);
                    assertThat(to.received().poll(10, TimeUnit.SECONDS)).extracting(Envelope::messageId)
                        .isEqualTo(sent.messageId());
                }
            }
        }
    }

    @Test
    void siloWithACertificateOfAnotherAuthorityCannotSendNorBeSentTo() throws Exception {
        Silo member = start("member", mutual(this.cluster.issue("member")));
        TestCertificateAuthority other = TestCertificateAuthority.create("other-ca");
        Silo rogue = start("rogue", SiloTls.of(other.issue("rogue").keyManagers(), this.cluster.trustManagers(),
                ClientAuth.REQUIRE));
        assertThatThrownBy(() -> rogue.transport().send(member.address(), envelope(rogue, member))
            .toCompletableFuture().get(10, TimeUnit.SECONDS))
            .cause()
            .isInstanceOf(TlsHandshakeException.class)
            .hasMessageContaining("certificate_required")
            .cause()
            .isInstanceOf(SSLException.class);
        assertThat(catchThrowable(() -> rogue.transport().send(member.address(), envelope(rogue, member))
            .toCompletableFuture().get(10, TimeUnit.SECONDS)))
            .as("the refusal again, or the reconnect back-off's copy of it")
            .cause()
            .isInstanceOf(TlsHandshakeException.class)
            .hasMessageContaining("certificate_required");
        assertThatThrownBy(() -> member.transport().send(rogue.address(), envelope(member, rogue))
            .toCompletableFuture().get(10, TimeUnit.SECONDS))
            .cause()
            .isInstanceOf(TlsHandshakeException.class)
            .hasMessageContaining("SSLHandshakeException")
            .cause()
            .isInstanceOf(SSLException.class);
        assertThat(member.received().poll(200, TimeUnit.MILLISECONDS)).isNull();
        assertThat(rogue.received()).isEmpty();
    }

    @Test
    void peerThatClosesTheConnectionDuringTheHandshakeBreaksTheLinkWithoutRefusingIt() throws Exception {
        Silo member = start("member", mutual(this.cluster.issue("member")));
        try (ServerSocket dying = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread closer = Thread.ofVirtual().start(() -> {
                while (!dying.isClosed()) {
                    try (Socket accepted = dying.accept()) {
                        accepted.getInputStream().read(new byte[65536]);
                    }
                    catch (IOException ex) {
                        return;
                    }
                }
            });
            SiloAddress target = new SiloAddress("127.0.0.1", dying.getLocalPort());
            Silo peer = new Silo("dying", target, member.transport(), new LinkedBlockingQueue<>());
            Throwable failure = catchThrowable(() -> member.transport().send(target, envelope(member, peer))
                .toCompletableFuture().get(10, TimeUnit.SECONDS));
            assertThat(failure).cause().isInstanceOf(LinkBrokenException.class)
                .isNotInstanceOf(TlsHandshakeException.class)
                .isNotInstanceOf(LinkRefusal.class);
            Throwable replayed = catchThrowable(() -> member.transport().send(target, envelope(member, peer))
                .toCompletableFuture().get(10, TimeUnit.SECONDS));
            assertThat(replayed).as("the reconnect back-off's copy of the failure").cause()
                .isInstanceOf(LinkBrokenException.class).isNotInstanceOf(LinkRefusal.class);
            dying.close();
            closer.join(Duration.ofSeconds(10));
        }
    }

    @Test
    void plaintextSiloCannotSendToATlsSilo() {
        Silo member = start("member", mutual(this.cluster.issue("member")));
        Silo plain = start("plain", null);
        assertThatThrownBy(() -> plain.transport().send(member.address(), envelope(plain, member))
            .toCompletableFuture().get(10, TimeUnit.SECONDS))
            .cause()
            .isInstanceOf(LinkBrokenException.class);
        assertThatThrownBy(() -> member.transport().send(plain.address(), envelope(member, plain))
            .toCompletableFuture().get(10, TimeUnit.SECONDS))
            .cause()
            .isInstanceOf(LinkBrokenException.class)
            .hasMessageContaining("SSL");
        assertThat(member.received()).isEmpty();
        assertThat(plain.received()).isEmpty();
    }

    /**
     * A TLS silo is told its peer does not speak TLS (the plaintext peer answers the {@code ClientHello} with an
     * HTTP/2 frame); a plaintext silo sees a TLS peer as silence, a broken link and no refusal: a TLS answer at the
     * peer's address would not prove the silo itself speaks TLS (a TLS-terminating sidecar answers for a dead silo).
     */
    @Test
    void aTlsSiloNamesAPlaintextPeerAndAPlaintextSiloSeesSilence() {
        Silo member = start("member", mutual(this.cluster.issue("member")));
        Silo plain = start("plain", null);

        Throwable fromPlain = catchThrowable(() -> plain.transport().send(member.address(), envelope(plain, member))
            .toCompletableFuture().get(10, TimeUnit.SECONDS)).getCause();
        Throwable fromTls = catchThrowable(() -> member.transport().send(plain.address(), envelope(member, plain))
            .toCompletableFuture().get(10, TimeUnit.SECONDS)).getCause();

        assertThat(fromPlain).as("silence, not a refusal").isInstanceOf(LinkBrokenException.class)
            .isNotInstanceOf(LinkRefusal.class);
        assertThat(fromTls).as("a refusal, not silence").isInstanceOf(TlsHandshakeException.class)
            .isInstanceOf(LinkRefusal.class)
            .hasMessageContaining("the silo at " + plain.address() + " does not speak TLS (plaintext?), silo member "
                    + "uses TLS");
        assertThat(member.received()).isEmpty();
        assertThat(plain.received()).isEmpty();
    }

    @Test
    void clientThatTrustsTheClusterButPresentsNoCertificateIsRefused() {
        Silo member = start("member", mutual(this.cluster.issue("member")));
        this.channel = NettyChannelBuilder
            .forAddress("127.0.0.1", member.address().port(),
                    TlsChannelCredentials.newBuilder().trustManager(this.cluster.trustManagers()).build())
            .build();
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        StreamObserver<ClientFrame> stream = SiloTransportGrpc.newStub(this.channel).link(new StreamObserver<>() {
            @Override
            public void onNext(ServerFrame frame) {
            }

            @Override
            public void onError(Throwable failure) {
                errors.add(failure);
            }

            @Override
            public void onCompleted() {
            }
        });
        stream.onNext(ClientFrame.newBuilder()
            .setHello(Hello.newBuilder().setClusterName("bank").setProtocolVersion(GrpcTransport.PROTOCOL_VERSION)
                .setSourceSiloId("anonymous").setLane(Lane.LANE_CALL))
            .build());
        await().atMost(Duration.ofSeconds(10)).until(() -> !errors.isEmpty());
        assertThat(errors.get(0)).isInstanceOf(StatusRuntimeException.class);
        assertThat(((StatusRuntimeException) errors.get(0)).getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(member.received()).isEmpty();
    }

    @Test
    void newKeyMaterialIsPresentedOnTheNextConnectionWithoutARestart() throws Exception {
        TestCertificateAuthority renewed = TestCertificateAuthority.create("renewed-ca");
        Silo strict = start("strict", SiloTls.of(renewed.issue("strict").keyManagers(), renewed.trustManagers(),
                ClientAuth.REQUIRE));
        SiloTls rotatingTls = SiloTls.of(this.cluster.issue("rotating").keyManagers(), renewed.trustManagers(),
                ClientAuth.REQUIRE);
        Silo rotating = start("rotating", rotatingTls);
        assertThatThrownBy(() -> rotating.transport().send(strict.address(), envelope(rotating, strict))
            .toCompletableFuture().get(10, TimeUnit.SECONDS))
            .cause()
            .isInstanceOf(LinkBrokenException.class)
            .hasMessageContaining("certificate_required");
        rotatingTls.update(renewed.issue("rotating").keyManagers(), renewed.trustManagers());
        Envelope sent = envelope(rotating, strict);
        await().atMost(Duration.ofSeconds(10)).ignoreExceptions()
            .until(() -> rotating.transport().send(strict.address(), sent).toCompletableFuture()
                .get(2, TimeUnit.SECONDS) == null);
        assertThat(strict.received().poll(10, TimeUnit.SECONDS)).extracting(Envelope::messageId)
            .isEqualTo(sent.messageId());
    }

    @Test
    void aCertificateThatDoesNotNameThePeersAddressIsRefusedUnlessTheHostNameCheckIsOff() throws Exception {
        Silo named = start("named", mutual(this.cluster.issueNaming("named", "silos.shop.internal")));
        Silo checking = start("checking", mutual(this.cluster.issue("checking")));
        assertThatThrownBy(() -> checking.transport().send(named.address(), envelope(checking, named))
            .toCompletableFuture().get(10, TimeUnit.SECONDS))
            .cause()
            .isInstanceOf(TlsHandshakeException.class)
            .hasMessageContaining("127.0.0.1");
        assertThat(named.received().poll(200, TimeUnit.MILLISECONDS)).isNull();

        SiloTls relaxed = mutual(this.cluster.issue("relaxed")).withoutHostnameCheck();
        assertThat(relaxed.checksHostname()).isFalse();
        Silo trusting = start("trusting", relaxed);
        Envelope sent = envelope(trusting, named);
        trusting.transport().send(named.address(), sent).toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertThat(named.received().poll(10, TimeUnit.SECONDS)).extracting(Envelope::messageId)
            .isEqualTo(sent.messageId());

        TestCertificateAuthority other = TestCertificateAuthority.create("other-ca");
        Silo foreign = start("foreign", SiloTls.of(other.issueNaming("foreign", "silos.shop.internal").keyManagers(),
                other.trustManagers(), ClientAuth.NONE));
        assertThatThrownBy(() -> trusting.transport().send(foreign.address(), envelope(trusting, foreign))
            .toCompletableFuture().get(10, TimeUnit.SECONDS))
            .as("without the host name check the chain must still lead to the cluster's authority")
            .cause()
            .isInstanceOf(TlsHandshakeException.class)
            .hasMessageContaining("PKIX");
        assertThat(foreign.received().poll(200, TimeUnit.MILLISECONDS)).isNull();
    }

    @Test
    void aSiloWhoseCertificateDoesNotNameTheAddressItAdvertisesIsRefusedByThePeersItConnectsTo() throws Exception {
        Silo checking = start("checking", mutual(this.cluster.issue("checking")));
        Silo misnamed = start("misnamed", mutual(this.cluster.issueNaming("misnamed", "silos.shop.internal")));
        // The handshake goes through (misnamed finds checking's certificate naming 127.0.0.1, and its own chain is
        // the cluster's); its first envelope, which comes from 127.0.0.1, is refused.
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(catchThrowable(() -> misnamed.transport()
            .send(checking.address(), envelope(misnamed, checking))
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS)))
            .cause()
            .isInstanceOf(HandshakeRefusedException.class)
            .isInstanceOf(LinkRefusal.class)
            .hasMessageContaining("Silo checking refuses silo misnamed")
            .hasMessageContaining("names [DNS:silos.shop.internal]")
            .hasMessageContaining("does not name 127.0.0.1"));
        assertThat(checking.received().poll(200, TimeUnit.MILLISECONDS)).isNull();

        Silo relaxed = start("relaxed", mutual(this.cluster.issue("relaxed")).withoutHostnameCheck());
        Envelope sent = envelope(misnamed, relaxed);
        misnamed.transport().send(relaxed.address(), sent).toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertThat(relaxed.received().poll(10, TimeUnit.SECONDS)).as("without the check on the receiving silo")
            .extracting(Envelope::messageId)
            .isEqualTo(sent.messageId());

        Envelope answer = envelope(checking, misnamed);
        assertThatThrownBy(() -> checking.transport().send(misnamed.address(), answer).toCompletableFuture()
            .get(10, TimeUnit.SECONDS))
            .as("and, as before, the silos it is refused by cannot connect to it")
            .cause()
            .isInstanceOf(TlsHandshakeException.class);
    }

    @Test
    void theHostNameCheckStaysOnWithoutTrustMaterialOfTheSilosOwn() {
        SiloTls jdkTrust = SiloTls.of(this.cluster.issue("a").keyManagers(), null, ClientAuth.NONE);
        assertThatIllegalStateException().isThrownBy(jdkTrust::withoutHostnameCheck)
            .withMessageContaining("only with certificate authorities of their own");
        assertThat(jdkTrust.checksHostname()).isTrue();
    }

    @Test
    void clientAuthenticationWithoutTrustMaterialIsRefused() {
        assertThatIllegalArgumentException()
            .isThrownBy(() -> SiloTls.of(this.cluster.issue("a").keyManagers(), null, ClientAuth.REQUIRE))
            .withMessageContaining("Client authentication REQUIRE needs certificate authorities");
    }

    @Test
    void keyManagersWithoutAnX509ManagerAreRefusedNamingWhatWasGiven() {
        assertThatIllegalArgumentException()
            .isThrownBy(() -> SiloTls.of(new KeyManager[0], this.cluster.trustManagers(),
                    ClientAuth.REQUIRE))
            .withMessageContaining("needs an X509ExtendedKeyManager")
            .withMessageContaining("were none");
    }

    private SiloTls mutual(TestCertificate certificate) {
        return SiloTls.of(certificate.keyManagers(), this.cluster.trustManagers(), ClientAuth.REQUIRE);
    }

    private Silo start(String siloId, @Nullable SiloTls tls) {
        GrpcTransport transport = GrpcTransport.selfHosted(GrpcTransportSettings.builder("bank")
            .reconnectBackoff(Duration.ofMillis(50), Duration.ofMillis(200))
            .build(), new InetSocketAddress("127.0.0.1", 0), null, tls);
        this.transports.add(transport);
        BlockingQueue<Envelope> received = new LinkedBlockingQueue<>();
        SiloAddress address = transport.start(siloId, new EnvelopeHandler() {
            @Override
            public void receive(Envelope envelope) {
                received.add(envelope);
            }
        });
        return new Silo(siloId, address, transport, received);
    }

    private Envelope envelope(Silo from, Silo to) {
        long id = this.ids.getAndIncrement();
        return new Envelope(id, id, Envelope.Kind.ONE_WAY, from.id(), 1, from.address(), to.id(), 1, "account",
                "acc-" + id, 7, new byte[] { 1, 2, 3 }, 42, "req-" + id, Map.of(), System.currentTimeMillis() + 60_000,
                3, 0);
    }

    private record Silo(String id, SiloAddress address, GrpcTransport transport, BlockingQueue<Envelope> received) {
    }
}
