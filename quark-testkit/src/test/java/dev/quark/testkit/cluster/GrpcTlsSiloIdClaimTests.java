package dev.quark.testkit.cluster;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import dev.quark.cluster.SiloIdentityRefusedException;
import dev.quark.cluster.membership.SiloAddress;
import dev.quark.cluster.membership.SiloEntry;
import dev.quark.cluster.transport.Envelope;
import dev.quark.cluster.transport.PayloadCodec;
import dev.quark.cluster.transport.grpc.GrpcTransport;
import dev.quark.cluster.transport.grpc.GrpcTransportSettings;
import dev.quark.cluster.transport.grpc.SiloTls;
import dev.quark.cluster.transport.jackson.JacksonPayloadCodec;
import dev.quark.testkit.tls.TestCertificateAuthority;
import io.grpc.TlsServerCredentials.ClientAuth;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two silos over self-hosted gRPC transports on 127.0.0.1 with mutual TLS and the host name check, and a process
 * holding a good certificate of the cluster's authority for 127.0.0.1 that starts its transport under the id of one
 * of the silos: its handshake and its certificate pass (the certificate names the host it sends from), but a call it
 * makes as that silo, from its own address, is refused without running, naming the silo claimed and both addresses.
 * The membership table binds the silo id to the address, and the certificate binds the address.
 */
class GrpcTlsSiloIdClaimTests {

    private static final TestCertificateAuthority CLUSTER_CA = TestCertificateAuthority.create("cluster-ca");

    private final TallyEnvironment environment = new TallyEnvironment();

    private final String clusterName = "tls-claim-" + System.nanoTime();

    private final BlockingQueue<Envelope> received = new LinkedBlockingQueue<>();

    private TallyCluster cluster;

    private GrpcTransport impostor;

    @BeforeEach
    void start() {
        this.cluster = new TallyCluster(this.environment, TallyCluster.builder(this.environment, 2, (runtime) -> {
        })
            .transport((siloId) -> GrpcTransport.selfHosted(settings(), new InetSocketAddress("127.0.0.1", 0), null,
                    tls())));
    }

    @AfterEach
    void close() {
        if (this.impostor != null) {
            this.impostor.close();
        }
        this.cluster.close();
    }

    @Test
    void aProcessWithAGoodCertificateThatStartsUnderASilosIdCannotCallAsThatSilo() throws Exception {
        SiloEntry claimed = entry("silo-1");
        this.impostor = GrpcTransport.selfHosted(settings(), new InetSocketAddress("127.0.0.1", 0), null, tls());
        SiloAddress from = this.impostor.start(claimed.siloId(), this.received::add);
        assertThat(from).as("the impostor's own address").isNotEqualTo(claimed.address());
        String id = this.cluster.idOwnedBy("silo-0");
        SiloEntry target = entry("silo-0");

        this.impostor.send(target.address(), new Envelope(1, 1, Envelope.Kind.REQUEST, claimed.siloId(),
                claimed.epoch(), from, target.siloId(), target.epoch(), "Tally", id,
                ClusterEnvelopeTests.methodId("add(long)"), "[7]".getBytes(StandardCharsets.UTF_8), 7, null, Map.of(),
                System.currentTimeMillis() + 10_000, 0, 0));

        Envelope answer = this.received.poll(10, TimeUnit.SECONDS);
        assertThat(answer).as("the answer, sent to the address the call came from").isNotNull();
        assertThat(answer.kind()).isEqualTo(Envelope.Kind.ERROR);
        assertThat(codec().decodeFailure(answer.payload())).isInstanceOf(SiloIdentityRefusedException.class)
            .hasMessageContaining("silo silo-1 (incarnation " + claimed.epoch() + ")")
            .hasMessageContaining(claimed.address().toString())
            .hasMessageContaining(from.toString());
        assertThat(this.cluster.silo(0).get(Tally.class, id).add(1)).as("the refused call did not run").isEqualTo(1);
    }

    private SiloEntry entry(String siloId) {
        return this.cluster.silo(0).routing().view().silo(siloId).orElseThrow();
    }

    private PayloadCodec codec() {
        return new JacksonPayloadCodec(JsonMapper.builder().build(), this.cluster.silo(0).runtime(), List.of());
    }

    private GrpcTransportSettings settings() {
        return GrpcTransportSettings.builder(this.clusterName)
            .reconnectBackoff(Duration.ofMillis(50), Duration.ofMillis(200))
            .build();
    }

    /** Mutual TLS with a certificate of the cluster's authority for 127.0.0.1, the host name check on. */
    private static SiloTls tls() {
        return SiloTls.of(CLUSTER_CA.issue("silo").keyManagers(), CLUSTER_CA.trustManagers(), ClientAuth.REQUIRE);
    }
}
