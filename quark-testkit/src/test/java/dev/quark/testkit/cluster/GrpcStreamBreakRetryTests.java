package dev.quark.testkit.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;

import dev.quark.cluster.SiloUnavailableException;
import dev.quark.cluster.membership.SiloAddress;
import dev.quark.cluster.routing.RoutingMetrics;
import dev.quark.cluster.transport.grpc.GrpcTransport;
import dev.quark.cluster.transport.grpc.GrpcTransportSettings;
import dev.quark.testkit.server.TcpProxy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Calls whose gRPC stream breaks, or whose link the transport closes, while the target silo stays alive and
 * {@code ACTIVE} in the view: two silos over gRPC, silo-1 reached through a {@link TcpProxy} that a test cuts (the
 * connection drops, the silo runs on) and restores at once. An idempotent call is sent once more as soon as the
 * link to silo-1 is up again, not after the 2 s a crashed silo's retry may wait for a newer view; a call to another
 * method fails at once with the unknown outcome. The calls' timeout is 30 s, so that a call nobody reports in doubt
 * would wait far longer than the tests do.
 */
class GrpcStreamBreakRetryTests {

    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(30);

    /** Well under the 2 s a retry to a silo still in the view waited for a newer view. */
    private static final Duration PROMPTLY = Duration.ofMillis(1500);

    private final TallyEnvironment environment = new TallyEnvironment();

    private final Map<String, GrpcTransport> transports = new ConcurrentHashMap<>();

    /** When silo-0 (or any silo) sent a call once more, in nanoTime. */
    private final List<Long> retries = new CopyOnWriteArrayList<>();

    private TcpProxy proxy;

    private TallyCluster cluster;

    /**
     * Starts the two silos, silo-1 behind the proxy on a port found free a moment before: one that something else
     * took meanwhile (the proxy's own port, silo-0's, a connection's) fails silo-1's start, which is tried again on
     * another port, up to 5 times.
     */
    @BeforeEach
    void start() {
        for (int attempt = 1;; attempt++) {
            try {
                startBehindTheProxy(freePort());
                return;
            }
            catch (UncheckedIOException ex) {
                if (attempt == 5 || !(ex.getCause() != null && ex.getCause().getCause() instanceof BindException)) {
                    throw ex;
                }
                this.proxy.close();
                this.transports.clear();
            }
        }
    }

    private void startBehindTheProxy(int port) {
        this.proxy = TcpProxy.start("127.0.0.1", port);
        GrpcTransportSettings settings = GrpcTransportSettings.builder("stream-break-retry").build();
        TestCluster.Builder builder = TallyCluster
            .builder(this.environment, 2, (runtime) -> runtime.callTimeout(CALL_TIMEOUT))
            .routing((routing) -> routing.metrics(new RoutingMetrics() {

                @Override
                public void retried(String siloId) {
                    GrpcStreamBreakRetryTests.this.retries.add(System.nanoTime());
                }
            }))
            .transport((siloId) -> {
                GrpcTransport transport = siloId.equals("silo-1")
                        ? GrpcTransport.selfHosted(settings, new InetSocketAddress("127.0.0.1", port),
                                new SiloAddress(this.proxy.host(), this.proxy.port()))
                        : GrpcTransport.selfHosted(settings, new InetSocketAddress("127.0.0.1", 0), null);
                this.transports.put(siloId, transport);
                return transport;
            });
        this.cluster = new TallyCluster(this.environment, builder);
    }

    @AfterEach
    void close() {
        this.environment.openAll();
        if (this.cluster != null) {
            this.cluster.close();
        }
        if (this.proxy != null) {
            this.proxy.close();
        }
    }

    @Test
    void idempotentCallWhoseStreamBreaksIsSentAgainAsSoonAsTheLinkIsUp() {
        Tally tally = this.cluster.silo(0).get(Tally.class, this.cluster.idOwnedBy("silo-1"));
        CompletableFuture<String> waiting = CompletableFuture.supplyAsync(() -> tally.holdIdempotently("broken"));
        await().atMost(TallyEnvironment.timeout()).until(() -> this.environment.arrivals("broken").contains("silo-1"));

        long cut = System.nanoTime();
        this.proxy.cut();
        this.proxy.restore();

        await().atMost(TallyEnvironment.timeout()).until(() -> !this.retries.isEmpty());
        assertThat(Duration.ofNanos(this.retries.getFirst() - cut)).as("sent again once the link was up")
            .isLessThan(PROMPTLY);
        this.environment.open("broken");
        assertThat(waiting).succeedsWithin(TallyEnvironment.timeout()).isEqualTo("silo-1");
        assertThat(this.environment.arrivals("broken")).as("run where it may have run already, once more")
            .containsExactly("silo-1", "silo-1");
        assertThat(this.retries).hasSize(1);
    }

    @Test
    void callNotMarkedIdempotentWhoseStreamBreaksFailsAtOnceInDoubt() {
        Tally tally = this.cluster.silo(0).get(Tally.class, this.cluster.idOwnedBy("silo-1"));
        CompletableFuture<String> waiting = CompletableFuture.supplyAsync(() -> tally.hold("once"));
        await().atMost(TallyEnvironment.timeout()).until(() -> this.environment.arrivals("once").contains("silo-1"));

        this.proxy.cut();
        this.proxy.restore();

        assertThat(waiting).failsWithin(PROMPTLY.multipliedBy(2))
            .withThrowableOfType(ExecutionException.class)
            .havingCause()
            .isInstanceOf(SiloUnavailableException.class)
            .withMessageContaining("may or may not have been handled")
            .withMessageNotContaining("retried");
        this.environment.open("once");
        assertThat(this.retries).isEmpty();
    }

    @Test
    void idempotentCallOnADisconnectedLinkIsSentAgainAtOnce() {
        Tally tally = this.cluster.silo(0).get(Tally.class, this.cluster.idOwnedBy("silo-1"));
        CompletableFuture<String> waiting = CompletableFuture.supplyAsync(() -> tally.holdIdempotently("quiet"));
        await().atMost(TallyEnvironment.timeout()).until(() -> this.environment.arrivals("quiet").contains("silo-1"));

        long disconnected = System.nanoTime();
        this.transports.get("silo-0").disconnect(this.cluster.silo(1).address());

        await().atMost(TallyEnvironment.timeout()).until(() -> !this.retries.isEmpty());
        assertThat(Duration.ofNanos(this.retries.getFirst() - disconnected)).isLessThan(PROMPTLY);
        this.environment.open("quiet");
        assertThat(waiting).succeedsWithin(TallyEnvironment.timeout()).isEqualTo("silo-1");
        assertThat(this.environment.arrivals("quiet")).containsExactly("silo-1", "silo-1");
    }

    /**
     * {@code forget} marks the address departed (in a cluster, the view dropped that silo first and the retry goes
     * to the new owner at once); here the view still names silo-1, so the retry does not reopen the link by itself
     * ({@code reconnect} refuses a departed address): it waits for a newer view, at most 2 s, and its own send
     * opens the link again.
     */
    @Test
    void idempotentCallOnAForgottenLinkIsSentAgainByItsOwnSend() {
        Tally tally = this.cluster.silo(0).get(Tally.class, this.cluster.idOwnedBy("silo-1"));
        CompletableFuture<String> waiting = CompletableFuture.supplyAsync(() -> tally.holdIdempotently("gone"));
        await().atMost(TallyEnvironment.timeout()).until(() -> this.environment.arrivals("gone").contains("silo-1"));

        long forgotten = System.nanoTime();
        this.transports.get("silo-0").forget(this.cluster.silo(1).address());

        await().atMost(TallyEnvironment.timeout()).until(() -> !this.retries.isEmpty());
        assertThat(Duration.ofNanos(this.retries.getFirst() - forgotten)).isLessThan(PROMPTLY.multipliedBy(3));
        this.environment.open("gone");
        assertThat(waiting).succeedsWithin(TallyEnvironment.timeout()).isEqualTo("silo-1");
    }

    @Test
    void callNotMarkedIdempotentOnAForgottenLinkFailsAtOnceInDoubt() {
        Tally tally = this.cluster.silo(0).get(Tally.class, this.cluster.idOwnedBy("silo-1"));
        CompletableFuture<String> waiting = CompletableFuture.supplyAsync(() -> tally.hold("left"));
        await().atMost(TallyEnvironment.timeout()).until(() -> this.environment.arrivals("left").contains("silo-1"));

        this.transports.get("silo-0").forget(this.cluster.silo(1).address());

        assertThat(waiting).failsWithin(PROMPTLY.multipliedBy(2))
            .withThrowableOfType(ExecutionException.class)
            .havingCause()
            .isInstanceOf(SiloUnavailableException.class)
            .withMessageContaining("may or may not have been handled");
        assertThat(this.retries).isEmpty();
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
