package dev.quark.autoconfigure.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.jspecify.annotations.Nullable;

/**
 * A cluster of three contexts whose silos talk over gRPC, each served by its own Spring Boot gRPC server on
 * 127.0.0.1, with the in-memory membership table shared by cluster name in the JVM.
 */
class GrpcClusterOfContextsTests extends ClusterOfContextsScenarios {

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
        return List.of("quark.cluster.transport.type=grpc", "spring.grpc.server.address=127.0.0.1",
                "spring.grpc.server.port=" + port);
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }
}
