package dev.quark.testkit.supervision;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import dev.quark.actor.ActivationException;
import dev.quark.supervision.Backoff;
import dev.quark.supervision.Decider;
import dev.quark.supervision.Directive;
import dev.quark.supervision.SupervisorStrategy;
import dev.quark.testkit.ActorTestKit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.awaitility.Awaitility.await;

class SupervisionTests {

    private final SupervisionLog log = new SupervisionLog();

    private final AtomicInteger runningTasks = new AtomicInteger();

    @AutoClose
    private final ActorTestKit kit = ActorTestKit.builder()
        .actor(SupervisorActor.class, () -> new SupervisorActor(this.log))
        .actor(WorkerActor.class, () -> new WorkerActor(this.log))
        .runtime((runtime) -> runtime.turnExecutor(countingExecutor()))
        .build();

    private Executor countingExecutor() {
        Executor turns = turnThreads();
        return (task) -> {
            this.runningTasks.incrementAndGet();
            turns.execute(() -> {
                try {
                    task.run();
                }
                finally {
                    this.runningTasks.decrementAndGet();
                }
            });
        };
    }

    /** Runs the turns, counted by {@link #countingExecutor()}; a subclass runs them on another scheduler. */
    Executor turnThreads() {
        ThreadFactory threads = Thread.ofVirtual().name("test-turn").factory();
        return (task) -> threads.newThread(task).start();
    }

    private Supervisor parent(SupervisorStrategy strategy) {
        this.log.strategies().put("P", strategy);
        Supervisor parent = this.kit.get(Supervisor.class, "P");
        parent.spawn(List.of("c1", "c2", "c3"));
        return parent;
    }

    private Worker worker(String id) {
        return this.kit.get(Worker.class, id);
    }

    private static SupervisorStrategy.Builder scoped(SupervisorStrategy.Scope scope) {
        return switch (scope) {
            case ONE_FOR_ONE -> SupervisorStrategy.oneForOne();
            case ALL_FOR_ONE -> SupervisorStrategy.allForOne();
            case REST_FOR_ONE -> SupervisorStrategy.restForOne();
        };
    }

    static Stream<Arguments> strategiesAndDirectives() {
        return Stream.of(SupervisorStrategy.Scope.values())
            .flatMap((scope) -> Stream.of(Directive.values()).map((directive) -> Arguments.of(scope, directive)));
    }

    /**
     * The children a decision about c2 applies to, by scope; children are spawned c1, c2, c3.
     */
    private static Set<String> affected(SupervisorStrategy.Scope scope) {
        return switch (scope) {
            case ONE_FOR_ONE -> Set.of("c2");
            case ALL_FOR_ONE -> Set.of("c1", "c2", "c3");
            case REST_FOR_ONE -> Set.of("c2", "c3");
        };
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("strategiesAndDirectives")
    void eachStrategyAppliesEachDirectiveToTheRightChildren(SupervisorStrategy.Scope scope, Directive directive) {
        parent(scoped(scope).decider((failure) -> directive).backoff(Backoff.NONE).build());
        Map<String, Integer> instances = new java.util.HashMap<>();
        for (String id : List.of("c1", "c2", "c3")) {
            assertThat(worker(id).work("ok")).isEqualTo(1);
            instances.put(id, worker(id).instance());
        }

        assertThatIllegalStateException().isThrownBy(() -> worker("c2").work("fail")).withMessage("boom:c2");

        Set<String> affected = (directive == Directive.RESTART || directive == Directive.STOP) ? affected(scope)
                : Set.of();
        if (directive == Directive.ESCALATE) {
            await().atMost(Duration.ofSeconds(5)).until(() -> this.log.events().contains("P:escalated:c2:boom:c2"));
        }
        for (String id : affected) {
            await().atMost(Duration.ofSeconds(5))
                .until(() -> this.log.events().contains(id + ":deactivate:FAILURE"));
        }
        for (String id : List.of("c1", "c2", "c3")) {
            if (affected.contains(id)) {
                assertThat(worker(id).instance()).as("%s gets a fresh instance", id).isNotEqualTo(instances.get(id));
                assertThat(worker(id).count()).as("%s starts over", id).isZero();
            }
            else {
                assertThat(worker(id).instance()).as("%s keeps its instance", id).isEqualTo(instances.get(id));
                assertThat(worker(id).count()).as("%s keeps its state", id).isEqualTo(1);
                assertThat(this.log.events()).doesNotContain(id + ":deactivate:FAILURE");
            }
        }
    }

    @Test
    void restartsBeyondTheLimitStopTheChildAndEscalate() {
        parent(SupervisorStrategy.oneForOne().maxRestarts(2, Duration.ofMinutes(1)).backoff(Backoff.NONE).build());
        worker("c1").work("ok");
        for (int failure = 1; failure <= 2; failure++) {
            assertThatIllegalStateException().isThrownBy(() -> worker("c1").work("fail"));
            int restarts = failure;
            await().atMost(Duration.ofSeconds(5))
                .until(() -> this.log.events().stream().filter("c1:activate"::equals).count() == restarts + 1);
        }
        assertThat(this.log.events()).doesNotContain("P:escalated:c1:boom:c1");

        assertThatIllegalStateException().isThrownBy(() -> worker("c1").work("fail"));
        await().atMost(Duration.ofSeconds(5)).until(() -> this.log.events().contains("P:escalated:c1:boom:c1"));
        await().atMost(Duration.ofSeconds(5)).until(() -> !this.kit.isActive(Worker.class, "c1"));
        assertThat(this.log.events()).containsSubsequence("c1:deactivate:FAILURE", "c1:deactivate:FAILURE",
                "c1:deactivate:FAILURE");
    }

    @Test
    void restartsOutsideTheWindowDoNotCount() {
        parent(SupervisorStrategy.oneForOne().maxRestarts(2, Duration.ofMinutes(1)).backoff(Backoff.NONE).build());
        worker("c1").work("ok");
        for (int failure = 1; failure <= 2; failure++) {
            assertThatIllegalStateException().isThrownBy(() -> worker("c1").work("fail"));
        }
        await().atMost(Duration.ofSeconds(5))
            .until(() -> this.log.events().stream().filter("c1:activate"::equals).count() == 3);
        this.kit.advanceTime(Duration.ofSeconds(61));

        assertThatIllegalStateException().isThrownBy(() -> worker("c1").work("fail"));
        await().atMost(Duration.ofSeconds(5))
            .until(() -> this.log.events().stream().filter("c1:activate"::equals).count() == 4);
        assertThat(this.log.events()).noneMatch((event) -> event.startsWith("P:escalated"));
        assertThat(worker("c1").work("ok")).isEqualTo(1);
    }

    @Test
    void restartsWaitForAnExponentialBackoffInVirtualTime() {
        parent(SupervisorStrategy.oneForOne()
            .maxRestarts(5, Duration.ofHours(1))
            .backoff(Backoff.exponential(Duration.ofSeconds(1), Duration.ofSeconds(10), 2.0, 0.0))
            .build());
        worker("c1").work("ok");
        for (long backoffMillis : new long[] { 1000, 2000, 4000 }) {
            long activations = this.log.events().stream().filter("c1:activate"::equals).count();
            assertThatIllegalStateException().isThrownBy(() -> worker("c1").work("fail"));
            await().atMost(Duration.ofSeconds(5)).until(() -> this.log.events().contains("c1:deactivate:FAILURE")
                    && this.kit.scheduler().nextDue() != null);
            CompletableFuture<Integer> waiting = CompletableFuture.supplyAsync(() -> worker("c1").work("ok"));

            this.kit.advanceTime(Duration.ofMillis(backoffMillis - 1));
            assertThat(this.log.events().stream().filter("c1:activate"::equals).count()).isEqualTo(activations);
            assertThat(waiting).isNotDone();

            this.kit.advanceTime(Duration.ofMillis(1));
            // The restart was due: advanceTime waited for the work its timer started (the activation, on a turn
            // thread), so this await is a bound, not a wait.
            await().atMost(Duration.ofSeconds(5))
                .until(() -> this.log.events().stream().filter("c1:activate"::equals).count() == activations + 1);
            assertThat(waiting).succeedsWithin(Duration.ofSeconds(5)).isEqualTo(1);
            assertThat(this.log.events().stream().filter("c1:activate"::equals).count()).isEqualTo(activations + 1);
            this.log.events().remove("c1:deactivate:FAILURE");
        }
    }

    /**
     * The backoff counts from the failure, not from the end of the old instance's deactivation: here the deactivation
     * takes 400 ms of virtual time, and the restart still comes 1 s after the failure.
     */
    @Test
    void aRestartsBackoffCountsFromTheFailureNotFromTheEndOfTheDeactivation() {
        parent(SupervisorStrategy.oneForOne()
            .maxRestarts(5, Duration.ofHours(1))
            .backoff(Backoff.exponential(Duration.ofSeconds(1), Duration.ofSeconds(10), 2.0, 0.0))
            .build());
        worker("c1").work("ok");
        this.log.hooks().put("c1:deactivate:FAILURE", () -> this.kit.clock().advance(Duration.ofMillis(400)));
        int pending = this.kit.scheduler().pendingTasks();
        long activations = this.log.events().stream().filter("c1:activate"::equals).count();
        assertThatIllegalStateException().isThrownBy(() -> worker("c1").work("fail"));
        await().atMost(Duration.ofSeconds(5)).until(() -> this.kit.scheduler().pendingTasks() == pending + 1);

        this.kit.advanceTime(Duration.ofMillis(599));
        assertThat(this.log.events().stream().filter("c1:activate"::equals).count()).isEqualTo(activations);
        this.kit.advanceTime(Duration.ofMillis(1));
        assertThat(this.log.events().stream().filter("c1:activate"::equals).count()).isEqualTo(activations + 1);
        assertThat(worker("c1").work("ok")).isEqualTo(1);
    }

    @Test
    void childFailingOnEveryActivationEndsStoppedWithoutLoopingOrLeakingThreads() {
        this.log.failingActivations().add("storm");
        this.log.strategies().put("P", SupervisorStrategy.oneForOne()
            .maxRestarts(3, Duration.ofMinutes(1))
            .backoff(Backoff.exponential(Duration.ofSeconds(1), Duration.ofSeconds(1), 1.0, 0.0))
            .build());
        this.kit.get(Supervisor.class, "P").spawn(List.of("storm"));

        assertThatExceptionOfType(ActivationException.class).isThrownBy(() -> worker("storm").work("ok"))
            .withMessageContaining("Worker/storm");
        this.kit.advanceTime(Duration.ofSeconds(10));
        assertThat(this.log.activationAttempts()).hasValue(4);
        await().atMost(Duration.ofSeconds(5))
            .until(() -> this.log.events().contains("P:escalated:storm:cannot activate storm"));

        this.kit.advanceTime(Duration.ofHours(1));
        assertThat(this.log.activationAttempts()).hasValue(4);
        assertThat(this.log.events()).containsOnlyOnce("P:escalated:storm:cannot activate storm");
        assertThat(this.kit.isActive(Worker.class, "storm")).isFalse();
        await().atMost(Duration.ofSeconds(5)).until(() -> this.runningTasks.get() == 0);
        assertThat(this.kit.scheduler().pendingTasks()).as("only idle collection stays scheduled").isEqualTo(1);
    }

    @Test
    void deactivatingAParentDeactivatesItsChildrenFirst() {
        Supervisor parent = parent(SupervisorStrategy.defaults());
        for (String id : List.of("c1", "c2", "c3")) {
            worker(id).work("ok");
        }
        parent.leave();
        await().atMost(Duration.ofSeconds(5)).until(() -> this.log.events().contains("P:deactivate:EXPLICIT"));
        int parentIndex = this.log.events().indexOf("P:deactivate:EXPLICIT");
        for (String id : List.of("c1", "c2", "c3")) {
            assertThat(this.log.events().indexOf(id + ":deactivate:EXPLICIT")).isBetween(0, parentIndex - 1);
        }
        // The parent's deactivation hook logs before its activation leaves the catalog, on the turn thread.
        await().atMost(Duration.ofSeconds(5)).until(() -> this.kit.activationCount() == 0);
    }

    @Test
    void escalationMakesTheChildsFailureTheParentsOwnDecidedByTheGrandparent() {
        this.log.strategies().put("G", SupervisorStrategy.oneForOne()
            .decider(Decider.builder().otherwise(Directive.RESTART))
            .backoff(Backoff.NONE)
            .build());
        this.log.strategies().put("sup:P", SupervisorStrategy.oneForOne()
            .decider(Decider.builder().otherwise(Directive.ESCALATE))
            .build());
        this.kit.get(Supervisor.class, "G").spawn(List.of("sup:P"));
        Supervisor parent = this.kit.get(Supervisor.class, "sup:P");
        parent.spawn(List.of("leaf"));
        assertThat(worker("leaf").work("ok")).isEqualTo(1);

        assertThatIllegalStateException().isThrownBy(() -> worker("leaf").work("fail"));
        await().atMost(Duration.ofSeconds(5)).until(() -> this.log.events().contains("sup:P:activate")
                && this.log.events().indexOf("sup:P:deactivate:FAILURE") > 0
                && this.log.events().lastIndexOf("sup:P:activate") > this.log.events().indexOf("sup:P:deactivate:FAILURE"));
        assertThat(this.log.events()).containsSubsequence("sup:P:escalated:leaf:boom:leaf", "leaf:deactivate:FAILURE",
                "sup:P:deactivate:FAILURE", "sup:P:activate");
    }

    @Test
    void spawningAChildSupervisedElsewhereFailsNamingTheSupervisor() {
        this.kit.get(Supervisor.class, "A").spawn(List.of("shared"));
        assertThatIllegalStateException().isThrownBy(() -> this.kit.get(Supervisor.class, "B").spawn(List.of("shared")))
            .withMessageContaining("Worker/shared is already supervised by Supervisor/A");
        assertThat(this.kit.get(Supervisor.class, "A").childIds()).containsExactly("shared");
    }

    @Test
    void topLevelActorsResumeAfterAFailure() {
        assertThat(worker("free").work("ok")).isEqualTo(1);
        int instance = worker("free").instance();
        assertThatIllegalStateException().isThrownBy(() -> worker("free").work("fail"));
        assertThat(worker("free").work("ok")).isEqualTo(2);
        assertThat(worker("free").instance()).isEqualTo(instance);
    }
}
