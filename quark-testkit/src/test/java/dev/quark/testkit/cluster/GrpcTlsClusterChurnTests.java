package dev.quark.testkit.cluster;

import java.net.InetSocketAddress;

import dev.quark.cluster.transport.grpc.GrpcTransport;
import dev.quark.cluster.transport.grpc.GrpcTransportSettings;
import dev.quark.cluster.transport.grpc.SiloTls;
import dev.quark.testkit.tls.TestCertificateAuthority;
import io.grpc.TlsServerCredentials.ClientAuth;

/**
 * The churn scenarios of {@link ClusterChurnTests} over gRPC with mutual TLS, the membership in Redis as in
 * {@link GrpcClusterChurnTests}: every silo presents a certificate of its own, issued by the cluster's test
 * authority, and requires one from its peers, so that the links a join, a leave or a kill opens and breaks are TLS
 * handshakes on the sockets. At {@link ClusterChurnTests#SERVER_LOAD}.
 */
class GrpcTlsClusterChurnTests extends RedisClusterChurnTests {

    private static final TestCertificateAuthority CLUSTER_CA = TestCertificateAuthority.create("churn-ca");

    @Override
    void configure(TestCluster.Builder builder) {
        super.configure(builder);
        GrpcTransportSettings settings = GrpcTransportSettings.builder(this.clusterName).build();
        builder.transport((siloId) -> GrpcTransport.selfHosted(settings, new InetSocketAddress("127.0.0.1", 0), null,
                SiloTls.of(CLUSTER_CA.issue(siloId).keyManagers(), CLUSTER_CA.trustManagers(), ClientAuth.REQUIRE)));
    }
}
