package dev.quark.testkit.cluster;

import java.net.InetSocketAddress;
import java.security.KeyStore;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLException;

import dev.quark.cluster.membership.MembershipProvider;
import dev.quark.cluster.membership.MembershipSnapshot;
import dev.quark.cluster.membership.SiloAddress;
import dev.quark.cluster.membership.SiloEntry;
import dev.quark.cluster.membership.SiloStatus;
import dev.quark.cluster.membership.UnreachablePeersException;
import dev.quark.cluster.transport.Envelope;
import dev.quark.cluster.transport.grpc.GrpcTransport;
import dev.quark.cluster.transport.grpc.GrpcTransportSettings;
import dev.quark.cluster.transport.grpc.HandshakeRefusedException;
import dev.quark.cluster.transport.grpc.SiloTls;
import dev.quark.cluster.transport.grpc.TlsHandshakeException;
import dev.quark.testkit.tls.TestCertificateAuthority;
import io.grpc.TlsServerCredentials.ClientAuth;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * A cluster of silos with membership agents over self-hosted gRPC transports on 127.0.0.1 with mutual TLS, their
 * certificates issued by one test authority: a silo with a certificate of another authority, one without a
 * certificate and one of another cluster name are refused by every active silo and fail to join at once (not at
 * the reachability timeout), naming the silos and the refusal; a plaintext one fails at once too, before any
 * probe, as the active silos' membership entries say they use TLS (a plaintext silo's probes of TLS silos get no
 * answer, only silence). None of them ever appears active in the membership table, and the
 * cluster's calls meanwhile all succeed (no ring range went to them). A silo with a good certificate still joins
 * afterwards. A good silo cannot join an active silo of another authority either; an active entry of such a silo
 * written past the check never runs a call.
 */
class GrpcTlsJoinTests {

    private static final TestCertificateAuthority CLUSTER_CA = TestCertificateAuthority.create("cluster-ca");

    private static final TestCertificateAuthority OTHER_CA = TestCertificateAuthority.create("other-ca");

    private final TallyEnvironment environment = new TallyEnvironment();

    /** The TLS of the silos added from now on; {@code null} for plaintext. */
    private volatile Supplier<@Nullable SiloTls> nextTls = () -> mutual(CLUSTER_CA.issue("silo"));

    private final String clusterName = "tls-join-" + System.nanoTime();

    /** The transport settings of the silos added from now on. */
    private volatile GrpcTransportSettings nextSettings = transportSettings(this.clusterName);

    @AutoClose
    private TallyCluster cluster;

    @BeforeEach
    void start() {
        this.cluster = new TallyCluster(this.environment, builder(this.environment));
        this.cluster.addSilo();
    }

    /** A cluster whose silos get the TLS and transport settings of the time they are added. */
    private TestCluster.Builder builder(TallyEnvironment environment) {
        return TallyCluster.builder(environment, 1, (runtime) -> {
        })
            // Generous for a loaded machine: a good silo's first probe opens TLS links both ways, which may take
            // seconds when other builds share the cores. The silo TTL bounds how long a joining silo waits for
            // silent peers (the plaintext one).
            .failureDetection((membership) -> membership.probeInterval(Duration.ofMillis(500))
                .probeTimeout(Duration.ofSeconds(1))
                .heartbeatInterval(Duration.ofSeconds(1))
                .siloTtl(Duration.ofSeconds(8))
                .fencingMargin(Duration.ofSeconds(2))
                .reachabilityTimeout(Duration.ofSeconds(6)))
            .stopTimeout(Duration.ofSeconds(20))
            .transport((siloId) -> GrpcTransport.selfHosted(this.nextSettings, new InetSocketAddress("127.0.0.1", 0),
                    null, this.nextTls.get()));
    }

    @Test
    void silosTheClusterDoesNotTrustCannotJoinWhileItsCallsAllSucceed() throws Exception {
        AtomicBoolean calling = new AtomicBoolean(true);
        Set<String> badSilosSeenActive = ConcurrentHashMap.newKeySet();
        Map<String, AtomicLong> added = new ConcurrentHashMap<>();
        List<Throwable> failedCalls = new ArrayList<>();
        AtomicInteger calls = new AtomicInteger();
        Thread caller = Thread.ofVirtual().start(() -> {
            for (int i = 0; calling.get() && i < 100_000; i++) {
                String id = "tally-" + (i % 40);
                try {
                    this.cluster.silo(i % 2).get(Tally.class, id).add(1);
                    added.computeIfAbsent(id, (absent) -> new AtomicLong()).incrementAndGet();
                    calls.incrementAndGet();
                }
                catch (RuntimeException ex) {
                    synchronized (failedCalls) {
                        failedCalls.add(ex);
                    }
                }
                for (SiloEntry entry : this.cluster.cluster().membership().read().silos().values()) {
                    if (entry.siloId().equals("silo-2") && entry.status() != SiloStatus.DEAD) {
                        badSilosSeenActive.add(entry.status().toString());
                    }
                }
            }
        });
        try {
            this.nextTls = () -> SiloTls.of(OTHER_CA.issue("rogue").keyManagers(), CLUSTER_CA.trustManagers(),
                    ClientAuth.REQUIRE);
            long startedAt = System.nanoTime();
            assertThatThrownBy(this.cluster::addSilo).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("Silo silo-2 could not join: Silo silo-2 cannot reach 2 of the active silos")
                .hasMessageContaining("silo-0@127.0.0.1:")
                .hasMessageContaining("silo-1@127.0.0.1:")
                .hasMessageContaining("certificate_required")
                .as("refused by every active silo: decided at once, not at the reachability timeout")
                .hasMessageContaining("(refused by 2 of the 2, a majority, within PT")
                .hasMessageContaining("the join fails without waiting for quark.cluster.reachability-timeout, PT6S)")
                .cause()
                .isInstanceOf(UnreachablePeersException.class)
                .cause()
                .isInstanceOf(TlsHandshakeException.class);
            assertThat(Duration.ofNanos(System.nanoTime() - startedAt)).as("failed before the reachability timeout")
                .isLessThan(Duration.ofSeconds(6));

            this.nextTls = () -> SiloTls.of(noCertificate(), CLUSTER_CA.trustManagers(), ClientAuth.REQUIRE);
            assertThatThrownBy(this.cluster::addSilo).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("cannot reach 2 of the active silos")
                .hasMessageContaining("silo-0@127.0.0.1:")
                .cause()
                .isInstanceOf(UnreachablePeersException.class)
                .cause()
                .isInstanceOf(TlsHandshakeException.class);

            this.nextTls = () -> null;
            long plaintextAt = System.nanoTime();
            assertThatThrownBy(this.cluster::addSilo).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("uses plaintext (no quark.cluster.transport.ssl.bundle) on its links to other "
                        + "silos, but 2 of the 2 active silos of cluster '")
                .hasMessageContaining("', a majority, do not, as their membership entries say")
                .hasMessageContaining("silo-1@127.0.0.1:")
                .hasMessageContaining("(TLS)")
                .cause()
                .isInstanceOf(UnreachablePeersException.class);
            assertThat(Duration.ofNanos(System.nanoTime() - plaintextAt))
                .as("told by the active silos' entries, not after waiting for them to expire (silo TTL 8 s)")
                .isLessThan(Duration.ofSeconds(6));

            this.nextTls = () -> mutual(CLUSTER_CA.issue("silo"));
            this.nextSettings = transportSettings("another-cluster");
            assertThatThrownBy(this.cluster::addSilo).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("cannot reach 2 of the active silos")
                .hasMessageContaining("cluster name '" + this.clusterName + "'")
                .hasMessageContaining("cluster name 'another-cluster'")
                .hasMessageContaining("(refused by 2 of the 2, a majority, within PT")
                .cause()
                .isInstanceOf(UnreachablePeersException.class)
                .cause()
                .isInstanceOf(HandshakeRefusedException.class);
            this.nextSettings = transportSettings(this.clusterName);
        }
        finally {
            calling.set(false);
            caller.join(Duration.ofSeconds(30));
        }

        assertThat(failedCalls).isEmpty();
        assertThat(calls.get()).isPositive();
        assertThat(badSilosSeenActive).doesNotContain("ACTIVE").doesNotContain("SHUTTING_DOWN");
        assertThat(this.cluster.cluster().membership().read().silo("silo-2").orElseThrow().status())
            .isEqualTo(SiloStatus.DEAD);
        for (Map.Entry<String, AtomicLong> tally : added.entrySet()) {
            assertThat(this.cluster.silo(0).get(Tally.class, tally.getKey()).total()).as(tally.getKey())
                .isEqualTo(tally.getValue().get());
        }

        this.nextTls = () -> mutual(CLUSTER_CA.issue("silo"));
        TestSilo good = this.cluster.addSilo();
        assertThat(this.cluster.cluster().membership().read().silo(good.siloId()).orElseThrow().status())
            .isEqualTo(SiloStatus.ACTIVE);
        await("the members place ranges on the good silo").atMost(Duration.ofSeconds(10))
            .until(() -> this.cluster.silo(0).routing().view().ring().silos().contains(good.siloId()));
        String owned = this.cluster.idOwnedBy(good.siloId());
        assertThat(this.cluster.silo(0).get(Tally.class, owned).where()).isEqualTo(good.siloId());
        assertThat(good.get(Tally.class, "tally-0").add(1)).isEqualTo(added.get("tally-0").get() + 1);
    }

    @Test
    void anActivePeerOfAnotherAuthorityFailsTheJoinOfAGoodSiloNamingIt() {
        this.nextTls = () -> SiloTls.of(OTHER_CA.issue("rogue").keyManagers(), CLUSTER_CA.trustManagers(),
                ClientAuth.REQUIRE);
        TallyEnvironment rogueEnvironment = new TallyEnvironment();
        try (TallyCluster rogueFirst = new TallyCluster(rogueEnvironment, builder(rogueEnvironment))) {
            this.nextTls = () -> mutual(CLUSTER_CA.issue("silo"));

            assertThatThrownBy(rogueFirst::addSilo).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("Silo silo-1 could not join: Silo silo-1 cannot reach 1 of the active silos")
                .hasMessageContaining("silo-0@127.0.0.1:")
                .hasMessageContaining("TLS handshake")
                .hasMessageContaining("(refused by 1 of the 1, a majority, within PT")
                .cause()
                .isInstanceOf(UnreachablePeersException.class)
                .cause()
                .isInstanceOf(TlsHandshakeException.class)
                .cause()
                .isInstanceOf(SSLException.class);
            assertThat(rogueFirst.cluster().membership().read().silo("silo-1").orElseThrow().status())
                .isEqualTo(SiloStatus.DEAD);
        }
    }

    /**
     * An active entry of a silo the members cannot talk to (it was written past the join check: an older
     * version, a certificate rotated to another authority) never runs a call: the members' calls to its ranges
     * fail naming it until they vote it dead, the others and all later ones succeed, and nothing reaches it.
     */
    @Test
    void anActiveEntryOfASiloOfAnotherAuthorityNeverRunsCalls() throws Exception {
        List<Envelope> reachedRogue = new CopyOnWriteArrayList<>();
        GrpcTransport rogue = GrpcTransport.selfHosted(this.nextSettings, new InetSocketAddress("127.0.0.1", 0),
                null, SiloTls.of(OTHER_CA.issue("rogue").keyManagers(), CLUSTER_CA.trustManagers(),
                        ClientAuth.REQUIRE));
        try {
            SiloAddress address = rogue.start("rogue", reachedRogue::add);
            MembershipProvider table = this.cluster.cluster().membership();
            MembershipSnapshot read = table.read();
            SiloEntry member = read.silo("silo-0").orElseThrow();
            Instant now = Instant.now();
            assertThat(table.write(new SiloEntry("rogue", address, now, SiloStatus.ACTIVE, now, now.toEpochMilli(),
                    member.actorTypes(), List.of()), read.version())).isTrue();
            await("the members place ranges on the rogue entry").atMost(Duration.ofSeconds(10))
                .until(() -> this.cluster.silo(0).routing().view().ring().silos().contains("rogue"));

            Map<String, Long> added = new HashMap<>();
            List<String> refusedNamingRogue = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                String id = "tally-" + i;
                try {
                    this.cluster.silo(i % 2).get(Tally.class, id).add(1);
                    added.merge(id, 1L, Long::sum);
                }
                catch (RuntimeException ex) {
                    assertThat(ex).as(id).hasMessageContaining("rogue");
                    refusedNamingRogue.add(id);
                }
            }
            assertThat(refusedNamingRogue).as("calls routed to the rogue entry before it was voted dead")
                .isNotEmpty();
            await("the members vote the rogue entry dead").atMost(Duration.ofSeconds(30))
                .until(() -> table.read().silo("rogue").orElseThrow().status() == SiloStatus.DEAD);
            await().atMost(Duration.ofSeconds(10))
                .until(() -> !this.cluster.silo(1).routing().view().ring().silos().contains("rogue"));
            for (int i = 0; i < 40; i++) {
                String id = "tally-" + i;
                long expected = added.getOrDefault(id, 0L) + 1;
                assertThat(this.cluster.silo((i + 1) % 2).get(Tally.class, id).add(1)).as(id).isEqualTo(expected);
            }
            assertThat(reachedRogue).isEmpty();
        }
        finally {
            rogue.close();
        }
    }

    private static GrpcTransportSettings transportSettings(String clusterName) {
        return GrpcTransportSettings.builder(clusterName)
            .reconnectBackoff(Duration.ofMillis(50), Duration.ofMillis(200))
            .build();
    }

    private static SiloTls mutual(dev.quark.testkit.tls.TestCertificate certificate) {
        return SiloTls.of(certificate.keyManagers(), CLUSTER_CA.trustManagers(), ClientAuth.REQUIRE);
    }

    /** Key managers over an empty key store: the silo presents no certificate, as client or server. */
    private static KeyManager[] noCertificate() {
        try {
            KeyStore empty = KeyStore.getInstance(KeyStore.getDefaultType());
            empty.load(null, null);
            KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            factory.init(empty, new char[0]);
            return factory.getKeyManagers();
        }
        catch (Exception ex) {
            throw new IllegalStateException(ex);
        }
    }
}
