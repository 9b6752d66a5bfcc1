package dev.quark.runtime.internal;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import dev.quark.runtime.ActorRuntime;
import dev.quark.runtime.fixtures.Probe;
import dev.quark.runtime.fixtures.ProbeActor;
import dev.quark.runtime.fixtures.ProbeEnvironment;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * How a message to an idle activation starts its turn: as its own task, with no turn bookkeeping made until
 * something else arrives while it runs (issue 9, activation rate and one-way sends).
 */
class ActivationTurnStartTests {

    private final ProbeEnvironment environment = new ProbeEnvironment();

    private final List<Runnable> tasks = new CopyOnWriteArrayList<>();

    private final List<Boolean> bookkeepingWhenStarted = new CopyOnWriteArrayList<>();

    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();

    private final ActorRuntime runtime = ActorRuntime.builder()
        .actor(ProbeActor.class, () -> new ProbeActor(this.environment))
        .turnExecutor(this::record)
        .build();

    private void record(Runnable task) {
        Object candidate = task;
        if (candidate instanceof Invocation turn && turn.servedBy != null) {
            this.bookkeepingWhenStarted.add(turn.servedBy.hasTurnAdmission());
        }
        this.tasks.add(task);
        this.threads.execute(task);
    }

    @AfterEach
    void close() throws InterruptedException {
        this.environment.gates().values().forEach(java.util.concurrent.CountDownLatch::countDown);
        this.runtime.close();
        this.threads.shutdown();
        this.threads.awaitTermination(5, TimeUnit.SECONDS);
    }

    @Test
    void aMessageToAnIdleActorIsItsOwnTaskAndMakesNoTurnBookkeeping() {
        Probe probe = this.runtime.get(Probe.class, "idle");

        assertThat(probe.events()).containsExactly("activate");
        assertThat(probe.events()).containsExactly("activate");

        assertThat(this.tasks).hasSizeGreaterThanOrEqualTo(2);
        assertThat(this.tasks.subList(0, 2)).allMatch(Invocation.class::isInstance);
        assertThat(this.bookkeepingWhenStarted).hasSizeGreaterThanOrEqualTo(2).containsOnly(false);
    }

    @Test
    void messagesArrivingWhileATurnRunsAloneWaitForItAndRunInOrder() throws Exception {
        Probe probe = this.runtime.get(Probe.class, "busy");
        CompletableFuture<String> first = CompletableFuture.supplyAsync(() -> probe.block("first"), this.threads);
        await().atMost(Duration.ofSeconds(10)).until(() -> this.environment.gates().containsKey("first"));
        CompletableFuture<String> second = CompletableFuture.supplyAsync(() -> probe.block("second"), this.threads);
        await().atMost(Duration.ofSeconds(10)).until(() -> this.runtime.queuedMessages(Probe.class, "busy") == 1);
        CompletableFuture<List<String>> third = CompletableFuture.supplyAsync(probe::events, this.threads);
        await().atMost(Duration.ofSeconds(10)).until(() -> this.runtime.queuedMessages(Probe.class, "busy") == 2);

        this.environment.open("second");
        await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(5)).until(() -> !second.isDone());
        this.environment.open("first");

        assertThat(first.get(10, TimeUnit.SECONDS)).isEqualTo("first");
        assertThat(second.get(10, TimeUnit.SECONDS)).isEqualTo("second");
        assertThat(third.get(10, TimeUnit.SECONDS)).containsExactly("activate");
        assertThat(this.runtime.queuedMessages(Probe.class, "busy")).isZero();
    }

    @Test
    void theCatalogIsSizedForTheExpectedActivationsUpToAMillion() {
        assertThat(ActivationCatalog.initialCapacity(shedding(0))).isEqualTo(16);
        assertThat(ActivationCatalog.initialCapacity(shedding(5_000))).isEqualTo(5_000);
        assertThat(ActivationCatalog.initialCapacity(shedding(5_000_000))).isEqualTo(1 << 20);
    }

    private static SheddingSettings shedding(int maxActivations) {
        return new SheddingSettings(maxActivations, 0, 0, () -> {
            throw new UnsupportedOperationException("never read");
        }, Duration.ofSeconds(1));
    }
}
