package dev.quark.testkit.cluster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

import dev.quark.actor.DeadlockException;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Deadlocks of call chains across silos: a cycle whose actors live on different silos is found by probes that
 * follow the waits from silo to silo, and broken like a cycle in one silo, well before the call timeout; waits
 * that are no cycle (a chain back into its own actor, a long wait) are left alone.
 */
class ClusterDeadlockTests {

    /** Far beyond how long finding a cycle takes, so that a cycle left to the timeout fails the test. */
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(10);

    /** How soon a cycle must be broken: detection takes 300 to 600 ms, the rest is room for a loaded machine. */
    private static final Duration BROKEN_WITHIN = Duration.ofSeconds(3);

    private final TallyEnvironment environment = new TallyEnvironment();

    @AutoClose
    private TallyCluster cluster;

    @Test
    void cycleBetweenTwoSilosFailsOneChainWithDeadlockExceptionAndTheOtherCompletes() {
        this.cluster = cluster(2);
        String x = this.cluster.idOwnedBy("silo-0");
        String y = this.cluster.idOwnedBy("silo-1");
        List<String> ring = List.of(x, y);
        List<CompletableFuture<String>> chains = startRing(ring, "two");
        long started = System.nanoTime();
        CompletableFuture.allOf(chains.stream().map((chain) -> chain.exceptionally((failure) -> null))
            .toArray(CompletableFuture[]::new)).join();
        assertBrokenOnce(chains, ring, started);
    }

    @Test
    void cycleThroughThreeSilosFailsOneChainWithDeadlockExceptionAndTheOthersComplete() {
        this.cluster = cluster(3);
        List<String> ring = List.of(this.cluster.idOwnedBy("silo-0"), this.cluster.idOwnedBy("silo-1"),
                this.cluster.idOwnedBy("silo-2"));
        List<CompletableFuture<String>> chains = startRing(ring, "three");
        long started = System.nanoTime();
        CompletableFuture.allOf(chains.stream().map((chain) -> chain.exceptionally((failure) -> null))
            .toArray(CompletableFuture[]::new)).join();
        assertBrokenOnce(chains, ring, started);
    }

    @Test
    void chainBackIntoItsFirstActorAcrossSilosIsNoDeadlockHoweverLongItWaits() {
        this.cluster = cluster(2);
        String first = this.cluster.idOwnedBy("silo-0");
        String second = this.cluster.idOwnedBy("silo-1");
        CompletableFuture<String> chain = CompletableFuture
            .supplyAsync(() -> this.cluster.silo(1).get(Tally.class, first).callThroughHolding(second, "back"));
        await().atMost(TallyEnvironment.timeout()).until(() -> this.environment.reached("back"));
        await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3)).until(() -> !chain.isDone());
        this.environment.open("back");
        assertThat(chain).succeedsWithin(TallyEnvironment.timeout())
            .isEqualTo(first + "@silo-0 -> " + second + "@silo-1 -> " + first + "@silo-0");
    }

    @Test
    void longWaitAcrossSilosThatIsNoCycleIsNotReported() {
        this.cluster = cluster(2);
        String x = this.cluster.idOwnedBy("silo-0");
        String y = this.cluster.idOwnedBy("silo-1");
        String w = TallyCluster.idWhere((id) -> !id.equals(y) && this.cluster.ownerOf(id).equals("silo-1"));
        // Chain 1 holds X on silo-0 and waits for Y on silo-1, which waits at a gate; chain 2 holds W on silo-1
        // and waits for X behind chain 1: a path of waits across both silos that closes no cycle.
        CompletableFuture<String> holding = CompletableFuture
            .supplyAsync(() -> this.cluster.silo(0).get(Tally.class, x).holdThrough(y, "long"));
        await().atMost(TallyEnvironment.timeout()).until(() -> this.environment.reached("long"));
        CompletableFuture<String> behind = CompletableFuture
            .supplyAsync(() -> this.cluster.silo(1).get(Tally.class, w).callBack(x));
        await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3))
            .until(() -> !holding.isDone() && !behind.isDone());
        this.environment.open("long");
        assertThat(holding).succeedsWithin(TallyEnvironment.timeout()).isEqualTo(x + " -> silo-1");
        assertThat(behind).succeedsWithin(TallyEnvironment.timeout()).isEqualTo(w + "@silo-1 -> " + x + "@silo-0");
    }

    private TallyCluster cluster(int silos) {
        return new TallyCluster(this.environment, silos, (runtime) -> runtime.callTimeout(CALL_TIMEOUT),
                (routing) -> {
                });
    }

    /** Starts one chain per tally of the ring, each from the silo after its tally's; each calls the next. */
    private List<CompletableFuture<String>> startRing(List<String> ring, String meeting) {
        List<CompletableFuture<String>> chains = new ArrayList<>();
        for (int i = 0; i < ring.size(); i++) {
            String holder = ring.get(i);
            String next = ring.get((i + 1) % ring.size());
            TestSilo caller = this.cluster.silo((i + 1) % ring.size());
            chains.add(CompletableFuture.supplyAsync(
                    () -> caller.get(Tally.class, holder).meetThenCall(next, meeting, ring.size())));
        }
        return chains;
    }

    private void assertBrokenOnce(List<CompletableFuture<String>> chains, List<String> ring, long started) {
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        List<Throwable> failures = new ArrayList<>();
        for (int i = 0; i < chains.size(); i++) {
            CompletableFuture<String> chain = chains.get(i);
            if (chain.isCompletedExceptionally()) {
                failures.add(chain.handle((result, failure) -> (failure instanceof CompletionException)
                        ? failure.getCause() : failure).join());
            }
            else {
                String holder = ring.get(i);
                assertThat(chain.join()).isEqualTo(holder + " -> " + this.cluster.ownerOf(ring.get((i + 1) % ring.size())));
            }
        }
        assertThat(failures).hasSize(1);
        assertThat(failures.getFirst()).isInstanceOf(DeadlockException.class)
            .hasMessageStartingWith("Deadlock between call chains: chain ")
            .hasMessageContaining("Failing the call to Tally/");
        DeadlockException deadlock = (DeadlockException) failures.getFirst();
        assertThat(deadlock.getActors())
            .containsExactlyInAnyOrderElementsOf(ring.stream().map((id) -> "Tally/" + id).toList());
        for (String id : ring) {
            assertThat(deadlock.getMessage()).contains("holds Tally/" + id + " and waits for");
        }
        assertThat(took).as("broken well before the call timeout").isLessThan(BROKEN_WITHIN);
    }
}
