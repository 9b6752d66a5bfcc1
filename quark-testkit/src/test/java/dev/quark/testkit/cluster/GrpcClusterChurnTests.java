package dev.quark.testkit.cluster;

import java.net.InetSocketAddress;

import dev.quark.cluster.transport.grpc.GrpcTransport;
import dev.quark.cluster.transport.grpc.GrpcTransportSettings;
import org.junit.jupiter.api.Test;

/**
 * The churn scenarios of {@link ClusterChurnTests} over gRPC, with the membership in Redis as in
 * {@link RedisClusterChurnTests}: every silo serves a self-hosted {@link GrpcTransport} on {@code 127.0.0.1} and a
 * free port (plaintext), so calls, answers, probes and hand-offs go through HTTP/2 streams, protobuf frames and
 * the sockets; a killed silo's server goes away with its streams, a paused one's envelopes are held both ways. At
 * {@link ClusterChurnTests#SERVER_LOAD}: 30 callers, 300 ledgers, 1,000 calls between two membership changes.
 */
class GrpcClusterChurnTests extends RedisClusterChurnTests {

    @Override
    void configure(TestCluster.Builder builder) {
        super.configure(builder);
        GrpcTransportSettings settings = GrpcTransportSettings.builder(this.clusterName).build();
        builder.transport((siloId) -> GrpcTransport.selfHosted(settings, new InetSocketAddress("127.0.0.1", 0), null));
    }

    @Test
    @Override
    void aSiloPausedPastItsEvictionActivatesNothingUntilItRejoinsAndLosesNoAcknowledgedUpdate() {
        super.aSiloPausedPastItsEvictionActivatesNothingUntilItRejoinsAndLosesNoAcknowledgedUpdate();
    }
}
