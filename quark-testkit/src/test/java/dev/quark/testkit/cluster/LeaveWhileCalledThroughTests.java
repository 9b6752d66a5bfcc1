package dev.quark.testkit.cluster;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.IntStream;

import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A silo that the application keeps calling through while it leaves: its wait for idle waits for the calls made
 * before it began, not for those made later, so the leave ends long before its timeout.
 */
class LeaveWhileCalledThroughTests {

    private static final Executor VIRTUAL_THREADS = (task) -> Thread.ofVirtual().start(task);

    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);

    /** How long the relay of calls goes on at most: longer than a leave may take here. */
    private static final Duration RELAY = Duration.ofSeconds(15);

    private final TallyEnvironment environment = new TallyEnvironment();

    @AutoClose
    private final TallyCluster cluster = new TallyCluster(this.environment,
            TallyCluster.builder(this.environment, 3, (runtime) -> {
            }).stopTimeout(STOP_TIMEOUT));

    @Test
    void aLeaveWaitsForTheCallsMadeThroughTheSiloBeforeItsWaitButNotForThoseMadeAfter() throws Exception {
        TestSilo leaving = this.cluster.silo(0);
        List<String> elsewhere = IntStream.range(0, 1_000).mapToObj((i) -> "tally-" + i)
            .filter((id) -> !this.cluster.ownerOf(id).equals("silo-0"))
            .limit(51)
            .toList();
        CompletableFuture<String> before = CompletableFuture
            .supplyAsync(() -> leaving.get(Tally.class, elsewhere.getFirst()).hold("before"), VIRTUAL_THREADS);
        await().atMost(TallyEnvironment.timeout()).until(() -> this.environment.reached("before"));

        long start = System.nanoTime();
        CompletableFuture<Void> stopped = CompletableFuture.runAsync(() -> this.cluster.cluster().stopSilo(0),
                VIRTUAL_THREADS);
        AtomicBoolean relayEnds = new AtomicBoolean();
        Thread relay = Thread.ofVirtual().start(() -> relayCallsThrough(leaving, elsewhere.subList(1, 51), relayEnds));
        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(5)).until(() -> !stopped.isDone());

        this.environment.open("before");

        assertThat(before).succeedsWithin(TallyEnvironment.timeout());
        assertThat(stopped).succeedsWithin(STOP_TIMEOUT.plusSeconds(10));
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        relayEnds.set(true);
        assertThat(relay.join(TallyEnvironment.timeout())).isTrue();
        this.environment.openAll();
        assertThat(took).as("the leave, while a call made through the silo was always in flight")
            .isLessThan(RELAY.minusSeconds(5));
        assertThat(this.environment.duplicates()).isEmpty();
    }

    /**
     * Keeps a call made through the silo in flight at every moment, each held until the next one has reached its
     * actor, until told to end, the silo refuses calls or {@link #RELAY} is over.
     */
    private void relayCallsThrough(TestSilo silo, List<String> ids, AtomicBoolean ends) {
        long until = System.nanoTime() + RELAY.toNanos();
        String previous = null;
        for (int step = 0; !ends.get() && System.nanoTime() < until; step++) {
            String gate = "relay-" + step;
            String id = ids.get(step % ids.size());
            CompletableFuture<String> call = CompletableFuture
                .supplyAsync(() -> silo.get(Tally.class, id).hold(gate), VIRTUAL_THREADS);
            await().atMost(TallyEnvironment.timeout()).until(() -> this.environment.reached(gate) || call.isDone());
            if (previous != null) {
                this.environment.open(previous);
            }
            if (call.isCompletedExceptionally()) {
                return;
            }
            previous = gate;
        }
        if (previous != null) {
            this.environment.open(previous);
        }
    }
}
