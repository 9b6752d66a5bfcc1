package dev.quark.autoconfigure.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import dev.quark.autoconfigure.lease.QuarkLeasesAutoConfiguration;
import dev.quark.lease.memory.InMemoryLeaseStore;
import dev.quark.reminder.memory.InMemoryReminderTable;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Contexts of a cluster whose silos talk over gRPC, each served by its own Spring Boot gRPC server on 127.0.0.1,
 * sharing one in-memory reminder table and lease store as they would share a database.
 */
class GrpcRemindersAcrossContextsTests extends RemindersAcrossContextsScenarios {

    private static final InMemoryReminderTable SHARED_TABLE = new InMemoryReminderTable();

    private static final InMemoryLeaseStore SHARED_LEASES = new InMemoryLeaseStore(Clock.systemUTC());

    private final Map<String, Integer> ports = new ConcurrentHashMap<>();

    @Override
    Class<?> backendConfiguration() {
        return SharedMemoryConfiguration.class;
    }

    @Override
    List<String> backendProperties() {
        return List.of("quark.reminders.backend=memory");
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

    @Configuration(proxyBeanMethods = false)
    static class SharedMemoryConfiguration {

        @Bean
        InMemoryReminderTable sharedReminderTable() {
            return SHARED_TABLE;
        }

        @Bean(QuarkLeasesAutoConfiguration.MEMORY_LEASE_STORE)
        InMemoryLeaseStore sharedLeaseStore() {
            return SHARED_LEASES;
        }
    }
}
