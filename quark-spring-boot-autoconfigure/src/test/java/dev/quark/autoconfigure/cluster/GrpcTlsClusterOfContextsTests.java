package dev.quark.autoconfigure.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import dev.quark.testkit.tls.TestCertificateAuthority;
import org.jspecify.annotations.Nullable;

/**
 * A cluster of three contexts whose silos talk over gRPC with mutual TLS: each silo has its own certificate of
 * one test authority, given as a PEM SSL bundle ({@code quark.cluster.transport.ssl.bundle}), and Spring Boot's
 * gRPC server on 127.0.0.1 serves with it.
 */
class GrpcTlsClusterOfContextsTests extends ClusterOfContextsScenarios {

    private static final TestCertificateAuthority CLUSTER = TestCertificateAuthority.create("cluster-ca");

    private final Map<String, Integer> ports = new ConcurrentHashMap<>();

    @Override
    @Nullable Class<?> backendConfiguration() {
        return null;
    }

    @Override
    List<String> backendProperties() {
        return List.of();
    }

    @Override
    List<String> transportProperties(String siloId) {
        int port = this.ports.computeIfAbsent(siloId, (id) -> freePort());
        List<String> properties = new ArrayList<>(List.of("quark.cluster.transport.type=grpc",
                "spring.grpc.server.address=127.0.0.1", "spring.grpc.server.port=" + port,
                "quark.cluster.transport.ssl.bundle=silo"));
        properties.addAll(List.of(QuarkClusterGrpcTlsAutoConfigurationTests.bundle("silo", CLUSTER.issue(siloId), CLUSTER)));
        return properties;
    }

    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }
}
