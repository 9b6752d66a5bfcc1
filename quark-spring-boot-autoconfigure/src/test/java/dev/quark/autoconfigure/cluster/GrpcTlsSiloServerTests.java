package dev.quark.autoconfigure.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import dev.quark.actor.ActorRefFactory;
import dev.quark.autoconfigure.fixtures.wallet.Wallet;
import dev.quark.cluster.membership.SiloAddress;
import dev.quark.cluster.membership.SiloMembership;
import dev.quark.cluster.membership.SiloStatus;
import dev.quark.cluster.transport.Envelope;
import dev.quark.cluster.transport.EnvelopeHandler;
import dev.quark.cluster.transport.grpc.GrpcTransport;
import dev.quark.cluster.transport.grpc.GrpcTransportSettings;
import dev.quark.cluster.transport.grpc.LinkBrokenException;
import dev.quark.cluster.transport.grpc.SiloTls;
import dev.quark.testkit.tls.TestCertificate;
import dev.quark.testkit.tls.TestCertificateAuthority;
import io.grpc.TlsServerCredentials.ClientAuth;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The gRPC server of a silo whose application has {@code quark.cluster.transport.ssl.bundle}, reached by other
 * silos' transports: a silo of the cluster's authority gets in; one of another authority, or in plaintext, does
 * not; after the bundle's files change ({@code reload-on-update}), the server presents the new certificate on the
 * next connection, without a restart. A silo of another authority cannot join a cluster of two: its start fails
 * naming both silos and the TLS failure, it is dead in the table and on no ring, and every call of the members
 * succeeds.
 */
class GrpcTlsSiloServerTests {

    private static final TestCertificateAuthority CLUSTER = TestCertificateAuthority.create("cluster-ca");

    private final String cluster = "tls-server-" + System.nanoTime();

    private final List<AutoCloseable> closeables = new ArrayList<>();

    private final AtomicLong ids = new AtomicLong(1);

    @TempDir
    Path files;

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable closeable : this.closeables.reversed()) {
            closeable.close();
        }
    }

    @Test
    void serverLetsInSilosOfTheClusterAuthorityOnly() throws Exception {
        int port = GrpcTlsClusterOfContextsTests.freePort();
        start(port, List.of(QuarkClusterGrpcTlsAutoConfigurationTests.bundle("silo", CLUSTER.issue("silo-0"), CLUSTER)));
        SiloAddress silo = new SiloAddress("127.0.0.1", port);
        GrpcTransport member = transport("member", tls(CLUSTER.issue("member"), CLUSTER));
        member.send(silo, envelope("member")).toCompletableFuture().get(10, TimeUnit.SECONDS);
        TestCertificateAuthority other = TestCertificateAuthority.create("other-ca");
        GrpcTransport rogue = transport("rogue", tls(other.issue("rogue"), CLUSTER));
        assertThatThrownBy(() -> rogue.send(silo, envelope("rogue")).toCompletableFuture().get(10, TimeUnit.SECONDS))
            .cause()
            .isInstanceOf(LinkBrokenException.class)
            .hasMessageContaining("certificate_required");
        GrpcTransport plain = transport("plain", null);
        assertThatThrownBy(() -> plain.send(silo, envelope("plain")).toCompletableFuture().get(10, TimeUnit.SECONDS))
            .cause()
            .isInstanceOf(LinkBrokenException.class);
    }

    @Test
    void serverPresentsTheReloadedCertificateOnTheNextConnection() throws Exception {
        Path certificate = this.files.resolve("silo.crt");
        Path key = this.files.resolve("silo.key");
        Path trust = this.files.resolve("ca.crt");
        TestCertificate first = CLUSTER.issue("silo-0");
        write(certificate, first.certificatePem(), key, first.privateKeyPem(), trust, CLUSTER.certificatePem());
        int port = GrpcTlsClusterOfContextsTests.freePort();
        String prefix = "spring.ssl.bundle.pem.silo.";
        start(port, List.of(prefix + "keystore.certificate=" + certificate.toUri(),
                prefix + "keystore.private-key=" + key.toUri(), prefix + "truststore.certificate=" + trust.toUri(),
                prefix + "reload-on-update=true", "spring.ssl.bundle.watch.file.quiet-period=100ms"));
        SiloAddress silo = new SiloAddress("127.0.0.1", port);
        TestCertificateAuthority renewed = TestCertificateAuthority.create("renewed-ca");
        GrpcTransport peer = transport("peer", tls(renewed.issue("peer"), renewed));
        assertThatThrownBy(() -> peer.send(silo, envelope("peer")).toCompletableFuture().get(10, TimeUnit.SECONDS))
            .cause()
            .isInstanceOf(LinkBrokenException.class)
            .hasMessageContaining("SSLHandshakeException");
        TestCertificate second = renewed.issue("silo-0");
        write(certificate, second.certificatePem(), key, second.privateKeyPem(), trust, renewed.certificatePem());
        Envelope sent = envelope("peer");
        await().atMost(Duration.ofSeconds(30))
            .pollInterval(Duration.ofMillis(200))
            .ignoreExceptions()
            .until(() -> peer.send(silo, sent).toCompletableFuture().get(2, TimeUnit.SECONDS) == null);
    }

    @Test
    void siloOfAnotherAuthorityCannotJoinAndTheMembersServeEveryCall() {
        List<ConfigurableApplicationContext> members = new ArrayList<>();
        for (String id : List.of("silo-0", "silo-1")) {
            members.add(start(id, GrpcTlsClusterOfContextsTests.freePort(),
                    List.of(QuarkClusterGrpcTlsAutoConfigurationTests.bundle("silo", CLUSTER.issue(id), CLUSTER))));
        }
        await().atMost(Duration.ofSeconds(10))
            .until(() -> members.stream()
                .allMatch((context) -> context.getBean(SiloMembership.class)
                    .current()
                    .membership()
                    .withStatus(SiloStatus.ACTIVE)
                    .size() == 2));
        TestCertificateAuthority other = TestCertificateAuthority.create("other-ca");
        List<String> rogueProperties = new ArrayList<>(
                List.of(QuarkClusterGrpcTlsAutoConfigurationTests.bundle("silo", other.issue("rogue"), CLUSTER)));
        rogueProperties.add("quark.cluster.reachability-timeout=6s");
        long startedAt = System.nanoTime();
        assertThatThrownBy(() -> start("rogue", GrpcTlsClusterOfContextsTests.freePort(), rogueProperties))
            .hasStackTraceContaining("Silo rogue could not join the cluster: Silo rogue cannot reach 2 of the active "
                    + "silos of cluster '" + this.cluster + "' (refused by 2 of the 2, a majority, within PT")
            .hasStackTraceContaining("the join fails without waiting for quark.cluster.reachability-timeout, PT6S)")
            .hasStackTraceContaining("silo-0@127.0.0.1:")
            .hasStackTraceContaining("silo-1@127.0.0.1:")
            .hasStackTraceContaining("certificate_required")
            .hasStackTraceContaining("TlsHandshakeException");
        assertThat(Duration.ofNanos(System.nanoTime() - startedAt))
            .as("refused by every member: the start fails at once, not after the silo TTL (30 s) as for silence")
            .isLessThan(Duration.ofSeconds(20));

        for (ConfigurableApplicationContext member : members) {
            await("the rogue's joining entry written dead, seen by a member").atMost(Duration.ofSeconds(30))
                .until(() -> member.getBean(SiloMembership.class).current().membership().silo("rogue")
                    .map((entry) -> entry.status() == SiloStatus.DEAD).orElse(false));
            assertThat(member.getBean(SiloMembership.class).current().ring().silos()).doesNotContain("rogue");
        }
        for (int i = 0; i < 30; i++) {
            String id = "w-" + i;
            assertThat(members.get(i % 2).getBean(ActorRefFactory.class).get(Wallet.class, id).deposit(5))
                .isEqualTo(5L);
            assertThat(members.get((i + 1) % 2).getBean(ActorRefFactory.class).get(Wallet.class, id).deposit(5))
                .isEqualTo(10L);
        }
    }

    private ConfigurableApplicationContext start(int port, List<String> tlsProperties) {
        return start("silo-0", port, tlsProperties);
    }

    private ConfigurableApplicationContext start(String siloId, int port, List<String> tlsProperties) {
        List<String> properties = new ArrayList<>(List.of("quark.cluster.enabled=true", "quark.cluster.name=" + this.cluster,
                "quark.cluster.silo.id=" + siloId, "quark.persistence.backend=memory",
                "quark.persistence.stores.audit.backend=memory", "quark.cluster.leave-timeout=10s",
                "spring.main.banner-mode=off", "quark.cluster.transport.type=grpc",
                "spring.grpc.server.address=127.0.0.1", "spring.grpc.server.port=" + port,
                "quark.cluster.transport.ssl.bundle=silo"));
        properties.addAll(tlsProperties);
        ConfigurableApplicationContext context = new SpringApplicationBuilder(
                ClusterOfContextsScenarios.WalletApplication.class)
            .web(WebApplicationType.NONE)
            .properties(properties.toArray(String[]::new))
            .run();
        this.closeables.add(context);
        return context;
    }

    private GrpcTransport transport(String siloId, @Nullable SiloTls tls) {
        GrpcTransport transport = GrpcTransport.selfHosted(GrpcTransportSettings.builder(this.cluster)
            .reconnectBackoff(Duration.ofMillis(50), Duration.ofMillis(100))
            .build(), new InetSocketAddress("127.0.0.1", 0), null, tls);
        this.closeables.add(transport);
        transport.start(siloId, new EnvelopeHandler() {
            @Override
            public void receive(Envelope envelope) {
            }
        });
        return transport;
    }

    private static SiloTls tls(TestCertificate certificate, TestCertificateAuthority trusted) {
        return SiloTls.of(certificate.keyManagers(), trusted.trustManagers(), ClientAuth.REQUIRE);
    }

    private Envelope envelope(String from) {
        long id = this.ids.getAndIncrement();
        return new Envelope(id, id, Envelope.Kind.ONE_WAY, from, 1, new SiloAddress("127.0.0.1", 1), "silo-0", 0,
                "none", "none-" + id, 7, new byte[0], 0, null, Map.of(), System.currentTimeMillis() + 60_000, 0, 0);
    }

    private static void write(Path certificate, String certificatePem, Path key, String keyPem, Path trust,
            String trustPem) {
        try {
            Files.writeString(certificate, certificatePem);
            Files.writeString(key, keyPem);
            Files.writeString(trust, trustPem);
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }
}
