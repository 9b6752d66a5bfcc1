package dev.quark.testkit.cluster;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.IntStream;

import dev.quark.actor.ActorRuntimeClosedException;
import dev.quark.cluster.SiloNotServingException;
import dev.quark.cluster.transport.grpc.GrpcTransport;
import dev.quark.cluster.transport.grpc.GrpcTransportSettings;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Callers that keep calling through a silo while it leaves: once it waits for its last calls, it refuses theirs
 * (not run), so that they cannot hold its leave until the timeout, while it still waits for the calls made before.
 * Over gRPC, where callers entering through the leaving silo keep one of their calls in flight at every moment:
 * before the refusal, such a leave lasted its whole timeout.
 */
class LeavingSiloCallsTests {

    private static final int CALLERS = 32;

    /** How many of the callers' failures are kept to be looked at; the others are counted. */
    private static final int KEPT_FAILURES = 1_000;

    /** Far beyond what the leave takes, so that a leave held by the callers is told from one that is not. */
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);

    private final TallyEnvironment environment = new TallyEnvironment();

    @AutoClose
    private TallyCluster cluster;

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void aLeavingSiloRefusesTheCallsMadeThroughItWhileItWaitsForThoseMadeBefore() {
        GrpcTransportSettings settings = GrpcTransportSettings.builder("leaving-calls").build();
        this.cluster = new TallyCluster(this.environment, TallyCluster.builder(this.environment, 2, (runtime) -> {
        }).transport((siloId) -> GrpcTransport.selfHosted(settings, new InetSocketAddress("127.0.0.1", 0), null))
            .stopTimeout(STOP_TIMEOUT));
        TestSilo leaving = this.cluster.silo(0);
        String heldId = this.cluster.idOwnedBy("silo-1");
        List<String> busyIds = IntStream.range(0, 10_000)
            .mapToObj((i) -> "busy-" + i)
            .filter((id) -> this.cluster.ownerOf(id).equals("silo-1"))
            .limit(CALLERS)
            .toList();
        CompletableFuture<String> madeBefore = CompletableFuture
            .supplyAsync(() -> leaving.get(Tally.class, heldId).hold("made-before"));
        await().atMost(TallyEnvironment.timeout()).until(() -> this.environment.reached("made-before"));

        AtomicBoolean calling = new AtomicBoolean(true);
        AtomicLong succeeded = new AtomicLong();
        AtomicLong refused = new AtomicLong();
        Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
        try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
            for (String busyId : busyIds) {
                callers.submit(() -> {
                    long end = System.nanoTime() + STOP_TIMEOUT.toNanos();
                    while (calling.get() && System.nanoTime() < end) {
                        try {
                            leaving.get(Tally.class, busyId).add(1);
                            succeeded.incrementAndGet();
                        }
                        catch (RuntimeException ex) {
                            if (refused.incrementAndGet() <= KEPT_FAILURES) {
                                failures.add(ex);
                            }
                            // A refused caller calls again a millisecond later, as a client retrying would, rather
                            // than spin on refusals that cost nothing.
                            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
                        }
                    }
                });
            }
            long atStart = succeeded.get();
            await().atMost(TallyEnvironment.timeout()).until(() -> succeeded.get() > atStart + 1_000);
            CompletableFuture<Void> stop = CompletableFuture.runAsync(() -> this.cluster.cluster().stopSilo(0));

            await().atMost(TallyEnvironment.timeout()).until(() -> failures.stream()
                .anyMatch((failure) -> failure.getMessage().contains("is leaving the cluster")));
            assertThat(stop).as("the leave waits for the call made before").isNotDone();
            this.environment.open("made-before");
            assertThat(madeBefore).succeedsWithin(TallyEnvironment.timeout()).isEqualTo("silo-1");
            assertThat(stop).as("the leave ends once the calls made before have ended, the callers still calling")
                .succeedsWithin(TallyEnvironment.timeout());
            calling.set(false);
        }
        assertThat(failures).as("refused, not run: none of them in doubt").isNotEmpty()
            .allSatisfy((failure) -> assertThat(failure).isInstanceOfAny(ActorRuntimeClosedException.class,
                    SiloNotServingException.class));
    }
}
