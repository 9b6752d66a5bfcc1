package dev.quark.autoconfigure.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.quark.actor.ActorRefFactory;
import dev.quark.autoconfigure.fixtures.wallet.Wallet;
import dev.quark.cluster.membership.MembershipProvider;
import dev.quark.cluster.membership.MembershipSnapshot;
import dev.quark.cluster.membership.SiloAddress;
import dev.quark.cluster.membership.SiloEntry;
import dev.quark.cluster.membership.SiloMembership;
import dev.quark.cluster.membership.SiloStatus;
import dev.quark.cluster.membership.memory.InMemoryMembershipProvider;
import dev.quark.cluster.transport.RemoteActorException;
import dev.quark.cluster.transport.grpc.GrpcTransport;
import dev.quark.runtime.ActorRuntime;
import dev.quark.state.ConcurrencyException;
import dev.quark.state.StateKey;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

/**
 * A cluster of three contexts whose silos talk over gRPC, each served by its own Spring Boot gRPC server on
 * 127.0.0.1, with the in-memory membership table shared by cluster name in the JVM; and what only the gRPC
 * transport has: connections to let go of, a server that must listen before the silo joins.
 */
class GrpcClusterOfContextsTests extends ClusterOfContextsScenarios {

    private final Map<String, Integer> ports = new ConcurrentHashMap<>();

    private final List<ConfigurableApplicationContext> started = new ArrayList<>();

    @AfterEach
    void closeStarted() {
        this.started.forEach(ConfigurableApplicationContext::close);
    }

    @Test
    void theRemainingSiloLetsGoOfTheChannelsToEachSiloThatLeft() {
        ConfigurableApplicationContext staying = started(start("silo-stay"));
        GrpcTransport transport = staying.getBean(GrpcTransport.class);
        for (int round = 0; round < 3; round++) {
            ConfigurableApplicationContext leaving = started(start("silo-leave-" + round));
            await().atMost(Duration.ofSeconds(10)).until(() -> activeSilos(staying) == 2 && activeSilos(leaving) == 2);
            SiloAddress address = staying.getBean(SiloMembership.class).current().membership().silos()
                .get("silo-leave-" + round).address();
            for (int i = 0; i < 20; i++) {
                staying.getBean(ActorRefFactory.class).get(Wallet.class, "w-" + round + "-" + i).deposit(1);
            }
            assertThat(transport.peers()).contains(address);
            this.started.remove(leaving);
            leaving.close();
            await().atMost(Duration.ofSeconds(10)).until(() -> activeSilos(staying) == 1);
            await().atMost(Duration.ofSeconds(10)).until(() -> !transport.peers().contains(address));
        }
        assertThat(transport.peers()).isEmpty();
    }

    @Test
    void aQuarkExceptionThrownOnTheOtherSiloCrossesGrpcAsItselfWithItsFields() {
        ConfigurableApplicationContext first = started(start("silo-a"));
        ConfigurableApplicationContext second = started(start("silo-b"));
        await().atMost(Duration.ofSeconds(10)).until(() -> activeSilos(first) == 2 && activeSilos(second) == 2);
        String id = "w-stale-" + System.nanoTime();
        first.getBean(ActorRefFactory.class).get(Wallet.class, id).deposit(5);
        ConfigurableApplicationContext caller = first.getBean(ActorRuntime.class).isActive(Wallet.class, id) ? second
                : first;

        Throwable thrown = catchThrowable(
                () -> caller.getBean(ActorRefFactory.class).get(Wallet.class, id).depositIfBalanceIs(1, 3));

        assertThat(thrown).isExactlyInstanceOf(ConcurrencyException.class)
            .hasMessageContaining("expected version 3, but the store holds version 5");
        ConcurrencyException stale = (ConcurrencyException) thrown;
        assertThat(stale.getKey()).isEqualTo(new StateKey("wallet", id, "wallet"));
        assertThat(stale.getExpectedVersion()).isEqualTo(3);
        assertThat(stale.getActualVersion()).isEqualTo(5);
        assertThat(thrown.getSuppressed()).singleElement().isInstanceOf(RemoteActorException.class);
    }

    @Test
    void aSiloWritesItselfToTheTableOnlyOnceItsGrpcPortAcceptsConnections() {
        ConfigurableApplicationContext silo = started(start("silo-dialled", DiallingMembership.class));
        DiallingMembershipProvider membership = silo.getBean(DiallingMembershipProvider.class);
        assertThat(membership.dialsOnWrite).isNotEmpty()
            .allSatisfy((dial) -> assertThat(dial).as("a dial when the silo wrote its entry").endsWith("accepted"));
    }

    private ConfigurableApplicationContext started(ConfigurableApplicationContext context) {
        this.started.add(context);
        return context;
    }

    private static int activeSilos(ConfigurableApplicationContext context) {
        return context.getBean(SiloMembership.class).current().membership().withStatus(SiloStatus.ACTIVE).size();
    }

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

    @Configuration(proxyBeanMethods = false)
    static class DiallingMembership {

        @Bean
        DiallingMembershipProvider diallingMembershipProvider() {
            return new DiallingMembershipProvider();
        }
    }

    /**
     * An in-memory table that dials the address of every entry written, at the moment it is written, as a
     * peer that reads the entry would.
     */
    static final class DiallingMembershipProvider implements MembershipProvider {

        private final MembershipProvider table = new InMemoryMembershipProvider();

        final List<String> dialsOnWrite = new CopyOnWriteArrayList<>();

        @Override
        public MembershipSnapshot read() {
            return this.table.read();
        }

        @Override
        public boolean write(SiloEntry entry, long expectedVersion) {
            if (entry.status() != SiloStatus.DEAD) {
                this.dialsOnWrite.add(entry.status() + " " + entry.address() + " " + dial(entry.address()));
            }
            return this.table.write(entry, expectedVersion);
        }

        private static String dial(SiloAddress address) {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(address.host(), address.port()), 2_000);
                return "accepted";
            }
            catch (IOException ex) {
                return "refused: " + ex.getMessage();
            }
        }

        @Override
        public boolean remove(String siloId, long expectedVersion) {
            return this.table.remove(siloId, expectedVersion);
        }

        @Override
        public boolean heartbeat(String siloId, long epoch, Instant at) {
            return this.table.heartbeat(siloId, epoch, at);
        }

        @Override
        public Watch watch(Runnable listener) {
            return this.table.watch(listener);
        }
    }
}
