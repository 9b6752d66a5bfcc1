package dev.quark.runtime;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import dev.quark.actor.AbstractActor;
import dev.quark.actor.Actor;
import dev.quark.actor.OneWay;
import dev.quark.actor.QuarkActor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * The limits of the {@link TurnScheduler#READY_QUEUE ready-queue scheduler} as a runtime shows them: its runner
 * cap, what a close that times out does with work that has no runner, and a build that fails.
 */
class ReadyQueueLimitsTests {

    private static final Shared shared = new Shared();

    private final List<ActorRuntime> runtimes = new ArrayList<>();

    @AfterEach
    void close() {
        shared.release();
        this.runtimes.forEach(ActorRuntime::close);
        shared.reset();
    }

    private ActorRuntime.Builder builder() {
        return ActorRuntime.builder().actor(HolderActor.class).turnScheduler(TurnScheduler.READY_QUEUE);
    }

    private ActorRuntime started(ActorRuntime.Builder builder) {
        ActorRuntime runtime = builder.build();
        this.runtimes.add(runtime);
        return runtime;
    }

    @Test
    void aRunnerCapThatIsNotPositiveIsRefusedNamingIt() {
        assertThatExceptionOfType(InvalidSettingException.class)
            .isThrownBy(() -> ActorRuntime.builder().readyQueueMaxRunners(0))
            .withMessage("readyQueueMaxRunners must be positive, was 0")
            .satisfies((ex) -> assertThat(ex.getSetting()).isEqualTo("readyQueueMaxRunners"));
        assertThatExceptionOfType(InvalidSettingException.class)
            .isThrownBy(() -> ActorRuntime.builder().readyQueueMaxRunners(-4))
            .withMessage("readyQueueMaxRunners must be positive, was -4");
    }

    @Test
    void turnsPastTheRunnerCapWaitReportedAndRunOnceARunnerFrees() {
        Recorded metrics = new Recorded();
        ActorRuntime runtime = started(builder().readyQueueMaxRunners(4).metrics(metrics));
        List<CompletableFuture<Integer>> held = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            // Each turn waits for its stage, as for a synchronous call to another actor: it holds its runner.
            held.add(runtime.get(Holder.class, "holder-" + i).hold().toCompletableFuture());
        }
        await("four turns waiting").atMost(Duration.ofSeconds(20)).until(() -> shared.holding.get() == 4);

        CompletableFuture<String> fifth = runtime.get(Holder.class, "fifth").echo("past the cap").toCompletableFuture();

        await("the cap reported").atMost(Duration.ofSeconds(20)).until(() -> !metrics.exhausted.isEmpty());
        // Every report names the cap. They are not counted here: on a loaded machine two episodes were reported once
        // (an episode ends as soon as a runner runs again, even while work waits, and a new one is then counted), and
        // one report per episode is ReadyQueueSchedulerTests' to show.
        assertThat(metrics.exhausted).containsOnly(4);
        assertThat(fifth).as("waits for a runner").isNotDone();

        shared.release();

        assertThat(fifth).succeedsWithin(Duration.ofSeconds(20)).isEqualTo("past the cap");
        held.forEach((stage) -> assertThat(stage).succeedsWithin(Duration.ofSeconds(20)).isEqualTo(1));
    }

    @Test
    void aCloseThatTimesOutLeavesNoCallerWaitingForever() {
        ActorRuntime runtime = started(builder().readyQueueMaxRunners(1).shutdownTimeout(Duration.ofMillis(300)));
        runtime.get(Holder.class, "stuck").block();
        await("the only runner blocked").atMost(Duration.ofSeconds(20)).until(() -> shared.holding.get() == 1);
        List<CompletableFuture<String>> calls = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            calls.add(runtime.get(Holder.class, "stuck").echo("behind " + i).toCompletableFuture());
            // No runner is left for these: their activations' first turns wait in the scheduler's queue.
            calls.add(runtime.get(Holder.class, "queued-" + i).echo("queued " + i).toCompletableFuture());
        }

        runtime.close();
        shared.release();

        for (CompletableFuture<String> call : calls) {
            await("every call answered").atMost(Duration.ofSeconds(20)).until(call::isDone);
        }
        // Each call answers with its value, or with the runtime's own answer to a call it shut down before (no
        // other failure, which the scheduler would cause by dropping or failing a task).
        for (int i = 0; i < calls.size(); i++) {
            String expected = ((i % 2 == 0) ? "behind " : "queued ") + (i / 2);
            CompletableFuture<String> call = calls.get(i);
            call.handle((value, failure) -> {
                if (failure == null) {
                    assertThat(value).isEqualTo(expected);
                }
                else {
                    assertThat(failure).isInstanceOf(dev.quark.actor.ActorRuntimeClosedException.class)
                        .hasMessageContaining("shut down before this call");
                }
                return null;
            }).join();
        }
    }

    @Test
    void aBuildThatFailsAfterTheSchedulerStartedLeavesNoThreadBehind() {
        Set<Thread> before = quarkThreads();
        Set<Thread> atTheFailure = ConcurrentHashMap.newKeySet();
        ActorMetrics failing = new ActorMetrics() {

            @Override
            public CallMetrics forMethod(Class<? extends Actor> contract, String method) {
                return CallMetrics.NONE;
            }

            @Override
            public void bindActorTypes(List<? extends ActorTypeView> types) {
                atTheFailure.addAll(quarkThreads());
                throw new IllegalStateException("metrics cannot bind");
            }
        };

        assertThatExceptionOfType(IllegalStateException.class)
            .isThrownBy(() -> builder().metrics(failing).build())
            .withMessage("metrics cannot bind");
        assertThat(atTheFailure).as("threads of this build when it failed: its timer thread and scheduler monitor")
            .anyMatch((thread) -> !before.contains(thread) && thread.getName().equals("quark-scheduler"))
            .anyMatch((thread) -> !before.contains(thread) && thread.getName().endsWith("-monitor"));

        await("no thread of the failed build left").atMost(Duration.ofSeconds(10))
            .untilAsserted(() -> assertThat(quarkThreads()).isSubsetOf(before));
    }

    private static Set<Thread> quarkThreads() {
        return Thread.getAllStackTraces()
            .keySet()
            .stream()
            .filter((thread) -> thread.getName().startsWith("quark-"))
            .collect(Collectors.toSet());
    }

    /** Records what the runtime reports of its scheduler. */
    static final class Recorded implements ActorMetrics {

        final List<Integer> exhausted = new CopyOnWriteArrayList<>();

        @Override
        public CallMetrics forMethod(Class<? extends Actor> contract, String method) {
            return CallMetrics.NONE;
        }

        @Override
        public void turnRunnersExhausted(int maxRunners) {
            this.exhausted.add(maxRunners);
        }
    }

    /** What the holders share with the test. */
    static final class Shared {

        final AtomicInteger holding = new AtomicInteger();

        volatile CountDownLatch gate = new CountDownLatch(1);

        final Map<String, CompletableFuture<Integer>> stages = new ConcurrentHashMap<>();

        void release() {
            this.gate.countDown();
            this.stages.values().forEach((stage) -> stage.complete(1));
        }

        void reset() {
            this.holding.set(0);
            this.gate = new CountDownLatch(1);
            this.stages.clear();
        }
    }

    /** An actor whose turns wait, announced or not, until the test releases them. */
    public interface Holder extends Actor {

        /** Returns a stage the test completes: the turn waits for it, announced to the scheduler. */
        CompletionStage<Integer> hold();

        /** Waits for the test's gate without telling the runtime (as JDBC would). */
        @OneWay
        void block();

        /** Returns its argument. */
        CompletionStage<String> echo(String text);
    }

    @QuarkActor
    public static class HolderActor extends AbstractActor implements Holder {

        @Override
        public CompletionStage<Integer> hold() {
            CompletableFuture<Integer> stage = shared.stages.computeIfAbsent(actorId(),
                    (id) -> new CompletableFuture<>());
            shared.holding.incrementAndGet();
            if (shared.gate.getCount() == 0) {
                stage.complete(1);
            }
            return stage;
        }

        @Override
        public void block() {
            shared.holding.incrementAndGet();
            try {
                if (!shared.gate.await(60, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("never released");
                }
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public CompletionStage<String> echo(String text) {
            return CompletableFuture.completedFuture(text);
        }
    }
}
