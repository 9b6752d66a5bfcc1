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
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import dev.quark.actor.ActorRefFactory;
import dev.quark.autoconfigure.fixtures.wallet.Wallet;
import dev.quark.autoconfigure.health.ClusterClientHealthIndicator;
import dev.quark.autoconfigure.health.QuarkClusterClientHealthContributorAutoConfiguration;
import dev.quark.autoconfigure.metrics.MicrometerClientMetrics;
import dev.quark.autoconfigure.metrics.MicrometerRoutingMetrics;
import dev.quark.autoconfigure.metrics.QuarkMetricsAutoConfiguration;
import dev.quark.cluster.NoActiveSiloException;
import dev.quark.cluster.client.ClientMembership;
import dev.quark.cluster.membership.MembershipProvider;
import dev.quark.cluster.membership.MembershipSnapshot;
import dev.quark.cluster.membership.SiloAddress;
import dev.quark.cluster.membership.SiloEntry;
import dev.quark.cluster.membership.SiloMembership;
import dev.quark.cluster.membership.SiloStatus;
import dev.quark.cluster.transport.grpc.GrpcTransport;
import dev.quark.runtime.ActorRuntime;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.health.contributor.Status;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * A cluster client ({@code quark.cluster.mode=client}) beside silos started as application contexts of one JVM,
 * with the in-memory membership table shared by cluster name: it calls the silos' actors, is never a member,
 * outlives a restart of every silo, and reports whether it reaches one.
 */
class ClusterClientOfContextsTests {

    private final String cluster = "client-" + System.nanoTime();

    private final List<ConfigurableApplicationContext> contexts = new ArrayList<>();

    @AfterEach
    void close() {
        this.contexts.reversed().forEach(ConfigurableApplicationContext::close);
    }

    @Test
    void aClientCallsTheActorsOfTwoSilosSpreadOverBothAndIsNeverAMember() {
        ConfigurableApplicationContext siloA = start("silo-a", List.of());
        ConfigurableApplicationContext siloB = start("silo-b", List.of());
        ConfigurableApplicationContext client = start("client-1", clientProperties());
        await().atMost(Duration.ofSeconds(10))
            .until(() -> client.getBean(ClientMembership.class).activeSilos().size() == 2);
        // ids of this run alone: other tests deposit to "w-<n>" in the same JVM-wide in-memory state store
        String prefix = "client-w-" + System.nanoTime() + "-";
        Wallet wallets = null;
        for (int i = 0; i < 40; i++) {
            wallets = client.getBean(ActorRefFactory.class).get(Wallet.class, prefix + i);
            assertThat(wallets.deposit(i)).isEqualTo(i);
            assertThat(wallets.deposit(1)).isEqualTo(i + 1);
        }
        Map<String, Long> hosted = IntStream.range(0, 40)
            .mapToObj((i) -> prefix + i)
            .collect(Collectors.groupingBy((id) -> host(id, siloA, siloB, client), Collectors.counting()));
        assertThat(hosted.keySet()).containsExactlyInAnyOrder("silo-a", "silo-b");
        assertThat(JvmWideCluster.membership(this.cluster).read().silos()).containsOnlyKeys("silo-a", "silo-b");
        for (ConfigurableApplicationContext silo : List.of(siloA, siloB)) {
            assertThat(silo.getBean(SiloMembership.class).current().ring().silos())
                .containsExactlyInAnyOrder("silo-a", "silo-b");
        }
        assertThat(client.getBeanNamesForType(SiloMembership.class)).isEmpty();
        assertThat(client.getBeanNamesForType(ClusterSiloLifecycle.class)).isEmpty();
        assertThat(client.getBean(ClientMembership.class).current().ring().silos()).doesNotContain("client-1");
    }

    @Test
    void aClientCallsAgainWithinBoundedTimeWhenEverySiloStoppedAndNewOnesStarted() {
        ConfigurableApplicationContext first = start("silo-first", List.of());
        ConfigurableApplicationContext client = start("client-1", clientProperties());
        ClusterClientHealthIndicator health = client.getBean(ClusterClientHealthIndicator.class);
        Wallet wallet = client.getBean(ActorRefFactory.class).get(Wallet.class, "w-restart");
        await().atMost(Duration.ofSeconds(10)).until(() -> health.health().getStatus().equals(Status.UP));
        assertThat(wallet.deposit(5)).isEqualTo(5);
        assertThat(health.health().getDetails()).containsEntry("reachedSilo", "silo-first");

        this.contexts.remove(first);
        first.close();
        await().atMost(Duration.ofSeconds(10))
            .until(() -> client.getBean(ClientMembership.class).activeSilos().isEmpty());
        assertThatThrownBy(() -> wallet.deposit(1)).isInstanceOf(NoActiveSiloException.class)
            .hasMessageContaining("no silo is active");
        assertThat(health.health().getStatus()).isEqualTo(Status.DOWN);
        assertThat(health.health().getDetails()).containsEntry("reason", "no silo is active in the membership table");

        start("silo-second", List.of());
        start("silo-third", List.of());
        await().atMost(Duration.ofSeconds(15)).ignoreExceptions().until(() -> wallet.deposit(1) > 5);
        assertThat(wallet.balance()).isGreaterThan(5);
        await().atMost(Duration.ofSeconds(10)).until(() -> health.health().getStatus().equals(Status.UP));
    }

    @Test
    void aClientOnTheGrpcTransportGetsItsAnswersAfterTheSilosViewsChanged() {
        ConfigurableApplicationContext siloA = start("silo-a", grpc(List.of()));
        ConfigurableApplicationContext siloB = start("silo-b", grpc(List.of()));
        ConfigurableApplicationContext client = start("client-grpc", grpc(clientProperties()), SharedTable.class);
        await().atMost(Duration.ofSeconds(10))
            .until(() -> client.getBean(ClientMembership.class).activeSilos().size() == 2);
        ActorRefFactory actors = client.getBean(ActorRefFactory.class);
        for (int i = 0; i < 10; i++) {
            assertThat(actors.get(Wallet.class, "g-" + i).deposit(1)).isEqualTo(1);
        }
        start("silo-c", grpc(List.of()));
        await().atMost(Duration.ofSeconds(10)).until(() -> List.of(siloA, siloB, client).stream()
            .allMatch((context) -> activeSilos(context) == 3));
        for (int i = 0; i < 10; i++) {
            assertThat(actors.get(Wallet.class, "g-" + i).deposit(1)).isEqualTo(2);
        }
        assertThat(client.getBean(ClusterClientHealthIndicator.class).health().getStatus()).isEqualTo(Status.UP);
    }

    @Test
    void aClientCallMadeInsideASpanRunsInAClientSpanOfItAndOnTheSiloInAServerSpanChildOfTheClientSpan() {
        ConfigurableApplicationContext silo = start("silo-a", grpc(List.of()), InMemoryTracing.class);
        ConfigurableApplicationContext client = start("client-traced", grpc(clientProperties()), SharedTable.class,
                InMemoryTracing.class);
        await().atMost(Duration.ofSeconds(10))
            .until(() -> client.getBean(ClientMembership.class).activeSilos().size() == 1);
        Tracer tracer = client.getBean(Tracer.class);
        Span caller = tracer.nextSpan().name("client-caller").start();
        try (Tracer.SpanInScope scope = tracer.withSpan(caller)) {
            assertThat(client.getBean(ActorRefFactory.class).get(Wallet.class, "traced-" + System.nanoTime()).deposit(2))
                .isEqualTo(2);
        }
        finally {
            caller.end();
        }
        InMemorySpanExporter clientSpans = client.getBean(InMemorySpanExporter.class);
        await().atMost(Duration.ofSeconds(5)).until(() -> clientSpans.getFinishedSpanItems().size() == 2);
        SpanData clientSpan = clientSpans.getFinishedSpanItems().stream()
            .filter((span) -> span.getKind() == SpanKind.CLIENT).findFirst().orElseThrow();
        assertThat(clientSpan.getName()).isEqualTo("wallet.deposit");
        assertThat(clientSpan.getParentSpanId()).isEqualTo(caller.context().spanId());
        InMemorySpanExporter spans = silo.getBean(InMemorySpanExporter.class);
        await().atMost(Duration.ofSeconds(5)).until(() -> !spans.getFinishedSpanItems().isEmpty());
        assertThat(spans.getFinishedSpanItems()).singleElement().satisfies((turn) -> {
            assertThat(turn.getName()).isEqualTo("wallet.deposit");
            assertThat(turn.getKind()).isEqualTo(SpanKind.SERVER);
            assertThat(turn.getTraceId()).isEqualTo(caller.context().traceId());
            assertThat(turn.getParentSpanId()).isEqualTo(clientSpan.getSpanId());
        });
    }

    @Test
    void aClientOnTheGrpcTransportClosesWithoutWaitingTheGrpcServersGracePeriod() {
        start("silo-a", grpc(List.of()));
        ConfigurableApplicationContext client = start("client-grpc", grpc(clientProperties()), SharedTable.class);
        await().atMost(Duration.ofSeconds(10))
            .until(() -> client.getBean(ClientMembership.class).activeSilos().size() == 1);
        for (int i = 0; i < 5; i++) {
            assertThat(client.getBean(ActorRefFactory.class).get(Wallet.class, "s-" + i).deposit(1)).isEqualTo(1);
        }
        this.contexts.remove(client);
        long started = System.nanoTime();
        client.close();
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void aSiloClosesItsLinksToAClientThatStoppedOnceNothingWasHeardFromItForTheIdleTimeout() {
        ConfigurableApplicationContext silo = start("silo-a",
                grpc(List.of("quark.cluster.transport.client-link-idle-timeout=1s")), SimpleMetrics.class);
        MeterRegistry meters = silo.getBean(MeterRegistry.class);
        assertThat(meters.get(MicrometerRoutingMetrics.CLIENT_LINKS).gauge().value()).isZero();
        ConfigurableApplicationContext client = start("client-gone", grpc(clientProperties()), SharedTable.class);
        await().atMost(Duration.ofSeconds(10))
            .until(() -> client.getBean(ClientMembership.class).activeSilos().size() == 1);
        assertThat(client.getBean(ActorRefFactory.class).get(Wallet.class, "gone-" + System.nanoTime()).deposit(2))
            .isEqualTo(2);
        SiloAddress clientAddress = new SiloAddress("127.0.0.1",
                client.getEnvironment().getRequiredProperty("spring.grpc.server.port", Integer.class));
        GrpcTransport siloTransport = silo.getBean(GrpcTransport.class);
        assertThat(siloTransport.peers()).as("the silo's links after it answered the client").contains(clientAddress);
        assertThat(meters.get(MicrometerRoutingMetrics.CLIENT_LINKS).gauge().value()).isEqualTo(1);
        assertThat(meters.get(MicrometerRoutingMetrics.CLIENT_LINKS_CLOSED).tag("reason", "idle").counter().count())
            .isZero();
        this.contexts.remove(client);
        client.close();
        // the sweep disconnects first and counts the closed links after its loop: wait for both
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertThat(siloTransport.peers()).doesNotContain(clientAddress);
            assertThat(meters.get(MicrometerRoutingMetrics.CLIENT_LINKS_CLOSED).tag("reason", "idle").counter()
                .count()).isEqualTo(1);
        });
        assertThat(meters.get(MicrometerRoutingMetrics.CLIENT_LINKS).gauge().value()).isZero();
    }

    @Test
    void aClientsMetersFollowItsViewAndItsReadsOfTheTable() {
        start("silo-a", List.of());
        ConfigurableApplicationContext client = start("client-metered", clientProperties(), FlakyTable.class,
                SimpleMetrics.class);
        MeterRegistry meters = client.getBean(MeterRegistry.class);
        MembershipProvider table = JvmWideCluster.membership(this.cluster);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertThat(meters.get(MicrometerClientMetrics.SILOS).gauge().value()).isEqualTo(1);
            assertThat(meters.get(MicrometerClientMetrics.MEMBERSHIP_VERSION).gauge().value())
                .isEqualTo(table.read().version());
        });
        assertThat(tableReads(meters, "success")).isPositive();
        assertThat(tableReads(meters, "failure")).isZero();
        double versionWithOneSilo = meters.get(MicrometerClientMetrics.MEMBERSHIP_VERSION).gauge().value();

        start("silo-b", List.of());
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertThat(meters.get(MicrometerClientMetrics.SILOS).gauge().value()).isEqualTo(2);
            assertThat(meters.get(MicrometerClientMetrics.MEMBERSHIP_VERSION).gauge().value())
                .isEqualTo(table.read().version())
                .isGreaterThan(versionWithOneSilo);
        });

        client.getBean(FlakyTable.class).failing.set(true);
        await().atMost(Duration.ofSeconds(10)).until(() -> tableReads(meters, "failure") >= 2);
        assertThat(meters.get(MicrometerClientMetrics.SILOS).gauge().value()).as("the view kept while reads fail")
            .isEqualTo(2);
        client.getBean(FlakyTable.class).failing.set(false);
        double succeeded = tableReads(meters, "success");
        await().atMost(Duration.ofSeconds(10)).until(() -> tableReads(meters, "success") > succeeded);
    }

    private static double tableReads(MeterRegistry meters, String outcome) {
        return meters.get(MicrometerClientMetrics.TABLE_READS).tag("outcome", outcome).counter().count();
    }

    @Test
    void aClientWithTheIdOfASiloFailsToStartNamingTheIdAndThePropertyAndWritesNothing() {
        start("silo-a", grpc(List.of()));
        MembershipSnapshot before = JvmWideCluster.membership(this.cluster).read();
        // SharedTable fails the test on any write of the client's
        assertThatThrownBy(() -> start("silo-a", grpc(clientProperties()), SharedTable.class))
            .hasStackTraceContaining("Property quark.cluster.silo.id with value 'silo-a' is invalid: Cluster client "
                    + "silo-a cannot start: silo silo-a at 127.0.0.1:")
            .hasStackTraceContaining("has the id of cluster client silo-a (ACTIVE): the client would send that silo's "
                    + "calls to itself; give the client another quark.cluster.silo.id");
        assertThat(JvmWideCluster.membership(this.cluster).read()).isEqualTo(before);
    }

    @Test
    void aClientOnTheInJvmTransportWithTheIdOfASiloFailsToStartToo() {
        start("silo-a", List.of());
        MembershipSnapshot before = JvmWideCluster.membership(this.cluster).read();
        assertThatThrownBy(() -> start("silo-a", clientProperties()))
            .hasStackTraceContaining("Property quark.cluster.silo.id with value 'silo-a' is invalid: Cluster client "
                    + "silo-a cannot start");
        assertThat(JvmWideCluster.membership(this.cluster).read()).isEqualTo(before);
    }

    @Test
    void aSiloWithTheIdOfARunningClientMakesTheClientReportDownNamingTheConflict() {
        start("silo-a", grpc(List.of()));
        ConfigurableApplicationContext client = start("shared-id", grpc(clientProperties()), SharedTable.class);
        ClusterClientHealthIndicator health = client.getBean(ClusterClientHealthIndicator.class);
        await().atMost(Duration.ofSeconds(10)).until(() -> health.health().getStatus().equals(Status.UP));
        start("shared-id", grpc(List.of()));
        await().atMost(Duration.ofSeconds(10)).until(() -> health.health().getStatus().equals(Status.DOWN));
        assertThat(health.health().getDetails().get("reason")).asString()
            .contains("has the id of cluster client shared-id")
            .contains("quark.cluster.silo.id");
    }

    @Test
    void aClientOnTheGrpcTransportReadsTheTableOnlyOnceItsGrpcServerListens() {
        start("silo-a", grpc(List.of()));
        ConfigurableApplicationContext client = start("client-grpc", grpc(clientProperties()),
                ListeningCheckedTable.class);
        await().atMost(Duration.ofSeconds(10))
            .until(() -> client.getBean(ClientMembership.class).activeSilos().size() == 1);
        assertThat(client.getBean(ListeningCheckedTable.class).serverWhenRead)
            .as("the client's gRPC server at each read of the table").isNotEmpty().containsOnly("listening");
        assertThat(client.getBean(ActorRefFactory.class).get(Wallet.class, "l-" + System.nanoTime()).deposit(3))
            .isEqualTo(3);
    }

    @Test
    void aClientOnTheGrpcTransportWithTheInMemoryTableFailsToStartNamingTheProperties() {
        List<String> properties = new ArrayList<>(clientProperties());
        properties.addAll(List.of("quark.cluster.transport.type=grpc", "spring.grpc.server.address=127.0.0.1",
                "spring.grpc.server.port=" + freePort()));
        assertThatThrownBy(() -> start("client-alone", properties))
            .hasStackTraceContaining("Property quark.cluster.mode with value 'client' is invalid")
            .hasStackTraceContaining("quark.cluster.membership.backend");
    }

    @Test
    void aModeThatIsNotOneFailsToStartNamingTheProperty() {
        assertThatThrownBy(() -> start("client-typo", List.of("quark.cluster.mode=cleint")))
            .hasStackTraceContaining("Property quark.cluster.mode with value 'cleint' is invalid")
            .hasStackTraceContaining("use one of silo, client");
    }

    private static String host(String id, ConfigurableApplicationContext... contexts) {
        List<String> hosts = new ArrayList<>();
        for (ConfigurableApplicationContext context : contexts) {
            if (context.getBean(ActorRuntime.class).isActive(Wallet.class, id)) {
                hosts.add(context.getEnvironment().getProperty("quark.cluster.silo.id"));
            }
        }
        assertThat(hosts).as("the activations of %s", id).hasSize(1);
        return hosts.get(0);
    }

    private static int activeSilos(ConfigurableApplicationContext context) {
        String[] silo = context.getBeanNamesForType(SiloMembership.class);
        return (silo.length > 0)
                ? context.getBean(SiloMembership.class).current().membership().withStatus(SiloStatus.ACTIVE).size()
                : context.getBean(ClientMembership.class).activeSilos().size();
    }

    private static List<String> grpc(List<String> properties) {
        List<String> all = new ArrayList<>(properties);
        all.addAll(List.of("quark.cluster.transport.type=grpc", "spring.grpc.server.address=127.0.0.1",
                "spring.grpc.server.port=" + freePort()));
        return all;
    }

    private static List<String> clientProperties() {
        return List.of("quark.cluster.mode=client", "quark.cluster.table-refresh-interval=500ms");
    }

    private ConfigurableApplicationContext start(String id, List<String> extra, Class<?>... sources) {
        List<String> properties = new ArrayList<>(List.of("quark.cluster.enabled=true",
                "quark.cluster.name=" + this.cluster, "quark.cluster.silo.id=" + id,
                "quark.persistence.backend=memory", "quark.persistence.stores.audit.backend=memory",
                "quark.cluster.leave-timeout=10s", "quark.actors.call-timeout=10s", "spring.main.banner-mode=off",
                // Silos of a loaded test machine answer probes late: no silo is taken for dead for that.
                "quark.cluster.probe-timeout=3s", "quark.cluster.missed-probes=5"));
        properties.addAll(extra);
        ConfigurableApplicationContext context = new SpringApplicationBuilder(
                sources(sources))
            .web(WebApplicationType.NONE)
            .properties(properties.toArray(String[]::new))
            .run();
        this.contexts.add(context);
        return context;
    }

    private static Class<?>[] sources(Class<?>... extra) {
        List<Class<?>> sources = new ArrayList<>(List.of(ClusterOfContextsScenarios.WalletApplication.class,
                ClientHealth.class));
        sources.addAll(List.of(extra));
        return sources.toArray(Class<?>[]::new);
    }

    /**
     * Gives a client on the gRPC transport the in-memory table of the silos of this JVM, as a Redis or
     * PostgreSQL table would be shared between processes.
     */
    @Configuration(proxyBeanMethods = false)
    static class SharedTable {

        @Bean
        MembershipProvider sharedMembership(Environment environment) {
            return new SharedMembership(JvmWideCluster.membership(environment.getRequiredProperty("quark.cluster.name")));
        }
    }

    /**
     * The silos' table as {@link SharedTable} gives it, noting at every read whether the client's gRPC server
     * listens.
     */
    @Configuration(proxyBeanMethods = false)
    static class ListeningCheckedTable {

        final List<String> serverWhenRead = new CopyOnWriteArrayList<>();

        @Bean
        MembershipProvider sharedMembership(Environment environment) {
            int port = environment.getRequiredProperty("spring.grpc.server.port", Integer.class);
            SharedMembership table = new SharedMembership(
                    JvmWideCluster.membership(environment.getRequiredProperty("quark.cluster.name")));
            return new MembershipProvider() {

                @Override
                public MembershipSnapshot read() {
                    ListeningCheckedTable.this.serverWhenRead.add(answers(port) ? "listening" : "closed");
                    return table.read();
                }

                @Override
                public boolean write(SiloEntry entry, long expectedVersion) {
                    return table.write(entry, expectedVersion);
                }

                @Override
                public boolean remove(String siloId, long expectedVersion) {
                    return table.remove(siloId, expectedVersion);
                }

                @Override
                public boolean heartbeat(String siloId, long epoch, Instant at) {
                    return table.heartbeat(siloId, epoch, at);
                }

                @Override
                public Watch watch(Runnable listener) {
                    return table.watch(listener);
                }
            };
        }

        private static boolean answers(int port) {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
                return true;
            }
            catch (IOException ex) {
                return false;
            }
        }
    }

    /** The silos' in-memory table behind another type, as the client of another process would see it. */
    record SharedMembership(MembershipProvider table) implements MembershipProvider {

        @Override
        public MembershipSnapshot read() {
            return this.table.read();
        }

        @Override
        public boolean write(SiloEntry entry, long expectedVersion) {
            throw new AssertionError("a cluster client wrote " + entry);
        }

        @Override
        public boolean remove(String siloId, long expectedVersion) {
            throw new AssertionError("a cluster client removed " + siloId);
        }

        @Override
        public boolean heartbeat(String siloId, long epoch, Instant at) {
            throw new AssertionError("a cluster client renewed " + siloId);
        }

        @Override
        public Watch watch(Runnable listener) {
            return this.table.watch(listener);
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ImportAutoConfiguration(QuarkClusterClientHealthContributorAutoConfiguration.class)
    static class ClientHealth {
    }

    /** Quark's meters in a simple registry. */
    @Configuration(proxyBeanMethods = false)
    @ImportAutoConfiguration(QuarkMetricsAutoConfiguration.class)
    static class SimpleMetrics {

        @Bean
        SimpleMeterRegistry simpleMeterRegistry() {
            return new SimpleMeterRegistry();
        }
    }

    /** The silos' table as {@link SharedTable} gives it, whose reads fail while {@link #failing} is set. */
    @Configuration(proxyBeanMethods = false)
    static class FlakyTable {

        final AtomicBoolean failing = new AtomicBoolean();

        @Bean
        MembershipProvider flakyMembership(Environment environment) {
            SharedMembership table = new SharedMembership(
                    JvmWideCluster.membership(environment.getRequiredProperty("quark.cluster.name")));
            return new MembershipProvider() {

                @Override
                public MembershipSnapshot read() {
                    if (FlakyTable.this.failing.get()) {
                        throw new IllegalStateException("membership table down (test)");
                    }
                    return table.read();
                }

                @Override
                public boolean write(SiloEntry entry, long expectedVersion) {
                    return table.write(entry, expectedVersion);
                }

                @Override
                public boolean remove(String siloId, long expectedVersion) {
                    return table.remove(siloId, expectedVersion);
                }

                @Override
                public boolean heartbeat(String siloId, long epoch, Instant at) {
                    return table.heartbeat(siloId, epoch, at);
                }

                @Override
                public Watch watch(Runnable listener) {
                    return table.watch(listener);
                }
            };
        }
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
