package dev.quark.testkit.cluster;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The wait of a silo about to close for its calls ({@code SiloRouting.awaitIdle}, which a graceful leave and a
 * cluster client's close run) waits for the calls sent before it began, not for those sent through the silo
 * meanwhile: an application that keeps calling through a leaving silo does not hold its leave until the timeout
 * (over gRPC, with callers entering through the leaver, each leave took the whole 10 s of the churn tests' timeout).
 */
class SiloIdleWaitTests {

    private final TallyEnvironment environment = new TallyEnvironment();

    @AutoClose
    private TallyCluster cluster;

    @Test
    void waitsForTheCallsSentBeforeItAndNotForThoseSentMeanwhile() {
        this.cluster = new TallyCluster(this.environment, 2);
        TestSilo entry = this.cluster.silo(0);
        String beforeId = this.cluster.idOwnedBy("silo-1");
        String meanwhileId = TallyCluster
            .idWhere((id) -> !id.equals(beforeId) && this.cluster.ownerOf(id).equals("silo-1"));
        CompletableFuture<String> sentBefore = CompletableFuture
            .supplyAsync(() -> entry.get(Tally.class, beforeId).hold("sent-before"));
        await().atMost(TallyEnvironment.timeout()).until(() -> this.environment.reached("sent-before"));

        CompletableFuture<Boolean> idle = new CompletableFuture<>();
        Thread waiter = Thread.ofVirtual()
            .start(() -> idle.complete(entry.routing().awaitIdle(Duration.ofSeconds(60))));
        // Parked between its looks at the calls: it has noted where the calls it waits for end.
        await().atMost(TallyEnvironment.timeout()).until(() -> waiter.getState() == Thread.State.TIMED_WAITING);
        CompletableFuture<String> sentMeanwhile = CompletableFuture
            .supplyAsync(() -> entry.get(Tally.class, meanwhileId).hold("sent-meanwhile"));
        await().atMost(TallyEnvironment.timeout()).until(() -> this.environment.reached("sent-meanwhile"));
        assertThat(idle).as("a call sent before the wait still waits for its answer").isNotDone();

        this.environment.open("sent-before");
        assertThat(sentBefore).succeedsWithin(TallyEnvironment.timeout()).isEqualTo("silo-1");
        assertThat(idle).as("idle once the calls sent before have their answers")
            .succeedsWithin(TallyEnvironment.timeout())
            .isEqualTo(true);
        assertThat(sentMeanwhile).as("not waited for").isNotDone();
        this.environment.open("sent-meanwhile");
        assertThat(sentMeanwhile).succeedsWithin(TallyEnvironment.timeout()).isEqualTo("silo-1");
    }
}
