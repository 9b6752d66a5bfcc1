package dev.quark.runtime;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.quark.actor.Actor;
import dev.quark.actor.DeadlockException;
import dev.quark.runtime.fixtures.Node;
import dev.quark.runtime.fixtures.NodeActor;
import dev.quark.runtime.fixtures.NodeEnvironment;
import dev.quark.runtime.fixtures.ReentrantNodeActor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class CallChainReentrancyTests {

    private final NodeEnvironment environment = new NodeEnvironment();

    /** The deadlocks the runtime reported broken, {@code true} for those across silos. */
    private final List<Boolean> deadlocksBroken = new CopyOnWriteArrayList<>();

    private ActorRuntime runtime = runtime(false);

    @AfterEach
    void close() {
        this.environment.openAll();
        this.runtime.close();
    }

    private ActorRuntime runtime(boolean reentrant) {
        ActorRuntime.Builder builder = runtimeBuilder().callTimeout(Duration.ofSeconds(20))
            .metrics(new ActorMetrics() {

                @Override
                public CallMetrics forMethod(Class<? extends Actor> contract, String method) {
                    return CallMetrics.NONE;
                }

                @Override
                public void deadlockBroken(boolean acrossSilos) {
                    CallChainReentrancyTests.this.deadlocksBroken.add(acrossSilos);
                }
            });
        if (reentrant) {
            builder.actor(ReentrantNodeActor.class, () -> new ReentrantNodeActor(this.environment));
        }
        else {
            builder.actor(NodeActor.class, () -> new NodeActor(this.environment));
        }
        ActorRuntime built = builder.build();
        this.environment.actors().set(built);
        return built;
    }

    private Node node(String id) {
        return this.runtime.get(Node.class, id);
    }

    @Test
    void callBackIntoTheCallerCompletes() {
        assertThat(node("A").relay(List.of("B", "A"))).isEqualTo("A>B>A");
    }

    @Test
    void callBackThroughAThirdActorCompletes() {
        assertThat(node("A").relay(List.of("B", "C", "A"))).isEqualTo("A>B>C>A");
        assertThat(node("A").relay(List.of("B", "A", "B", "A", "C", "A"))).isEqualTo("A>B>A>B>A>C>A");
    }

    @Test
    void callOfAnotherChainWaitsUntilTheServedChainIsDone() {
        CompletableFuture<String> first = CompletableFuture.supplyAsync(() -> node("X").holdWhile("Y", "g"));
        await().atMost(Duration.ofSeconds(5)).until(() -> this.environment.log().contains("Y:block:g"));

        CompletableFuture<String> second = CompletableFuture.supplyAsync(() -> node("X").ping());
        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2)).until(() -> !second.isDone());
        assertThat(this.environment.log()).doesNotContain("X:ping");

        this.environment.open("g");
        assertThat(first).succeedsWithin(Duration.ofSeconds(5)).isEqualTo("g");
        assertThat(second).succeedsWithin(Duration.ofSeconds(5)).isEqualTo("X");
        assertThat(this.environment.log()).containsSubsequence("X:hold-done:g", "X:ping");
    }

    @Test
    void reentrantActorLetsOtherChainsInWhileATurnWaits() {
        this.runtime.close();
        this.runtime = runtime(true);
        CompletableFuture<String> first = CompletableFuture.supplyAsync(() -> node("X").holdWhile("Y", "g"));
        await().atMost(Duration.ofSeconds(5)).until(() -> this.environment.log().contains("Y:block:g"));

        assertThat(CompletableFuture.supplyAsync(() -> node("X").ping())).succeedsWithin(Duration.ofSeconds(5))
            .isEqualTo("X");
        assertThat(first).isNotDone();
        this.environment.open("g");
        assertThat(first).succeedsWithin(Duration.ofSeconds(5));
        assertThat(this.environment.log()).containsSubsequence("X:hold:g", "X:ping", "X:hold-done:g");
    }

    @Test
    void readOnlyTurnsOfDifferentChainsInterleaveButNotWithWriters() {
        CompletableFuture<String> firstReader = CompletableFuture.supplyAsync(() -> node("X").peek("Y1", "g1"));
        await().atMost(Duration.ofSeconds(5)).until(() -> this.environment.log().contains("Y1:block:g1"));
        CompletableFuture<String> secondReader = CompletableFuture.supplyAsync(() -> node("X").peek("Y2", "g2"));
        await().atMost(Duration.ofSeconds(5)).until(() -> this.environment.log().contains("Y2:block:g2"));

        CompletableFuture<String> writer = CompletableFuture.supplyAsync(() -> node("X").write());
        this.environment.open("g2");
        assertThat(secondReader).succeedsWithin(Duration.ofSeconds(5)).isEqualTo("g2");
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2)).until(() -> !writer.isDone());

        this.environment.open("g1");
        assertThat(firstReader).succeedsWithin(Duration.ofSeconds(5));
        assertThat(writer).succeedsWithin(Duration.ofSeconds(5));
        assertThat(this.environment.log()).containsSubsequence("X:hold-done:g2", "X:hold-done:g1", "X:write");
    }

    @Test
    void twoChainsWaitingOnEachOtherAreBrokenWithinASecond() {
        this.environment.barrier("b", 2);
        long started = System.nanoTime();
        CompletableFuture<String> first = CompletableFuture.supplyAsync(() -> node("X").cross("Y", "b"));
        CompletableFuture<String> second = CompletableFuture.supplyAsync(() -> node("Y").cross("X", "b"));
        CompletableFuture.allOf(first, second).exceptionally((ignored) -> null).join();
        Duration elapsed = Duration.ofNanos(System.nanoTime() - started);

        List<CompletableFuture<String>> calls = List.of(first, second);
        assertThat(calls).filteredOn(CompletableFuture::isCompletedExceptionally).singleElement()
            .satisfies((failed) -> assertThat(failed.handle((value, failure) -> failure).join())
                .isInstanceOf(CompletionException.class)
                .cause()
                .isInstanceOfSatisfying(DeadlockException.class,
                        (deadlock) -> assertThat(deadlock.getActors()).containsExactlyInAnyOrder("Node/X", "Node/Y")));
        assertThat(calls).filteredOn((call) -> !call.isCompletedExceptionally()).singleElement()
            .satisfies((succeeded) -> assertThat(succeeded.join()).isIn("X", "Y"));
        assertThat(elapsed).isLessThan(Duration.ofSeconds(1));
        assertThat(this.deadlocksBroken).as("counted once, as a cycle within the silo").containsExactly(false);
        assertThat(node("X").ping()).isEqualTo("X");
        assertThat(node("Y").ping()).isEqualTo("Y");
    }

    @Test
    void longerCyclesOfChainsAreBrokenToo() {
        this.environment.barrier("b3", 3);
        long started = System.nanoTime();
        List<CompletableFuture<String>> calls = List.of(
                CompletableFuture.supplyAsync(() -> node("X").cross("Y", "b3")),
                CompletableFuture.supplyAsync(() -> node("Y").cross("Z", "b3")),
                CompletableFuture.supplyAsync(() -> node("Z").cross("X", "b3")));
        CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).exceptionally((ignored) -> null).join();
        Duration elapsed = Duration.ofNanos(System.nanoTime() - started);

        assertThat(calls).filteredOn(CompletableFuture::isCompletedExceptionally).singleElement()
            .satisfies((failed) -> assertThat(failed.handle((value, failure) -> failure.getCause()).join())
                .isInstanceOfSatisfying(DeadlockException.class, (deadlock) -> assertThat(deadlock.getActors())
                    .containsExactlyInAnyOrder("Node/X", "Node/Y", "Node/Z")));
        assertThat(calls).filteredOn((call) -> !call.isCompletedExceptionally()).hasSize(2);
        assertThat(elapsed).isLessThan(Duration.ofSeconds(1));
    }

    @Test
    void aLongButHealthyWaitIsNotTakenForADeadlock() {
        CompletableFuture<String> holder = CompletableFuture.supplyAsync(() -> node("X").holdWhile("Y", "slow"));
        await().atMost(Duration.ofSeconds(5)).until(() -> this.environment.log().contains("Y:block:slow"));
        CompletableFuture<String> waiting = CompletableFuture.supplyAsync(() -> node("Y").ping());
        await().during(Duration.ofMillis(700)).atMost(Duration.ofSeconds(2))
            .until(() -> !holder.isDone() && !waiting.isDone());
        this.environment.open("slow");
        assertThat(holder).succeedsWithin(Duration.ofSeconds(5)).isEqualTo("slow");
        assertThat(waiting).succeedsWithin(Duration.ofSeconds(5)).isEqualTo("Y");
    }

    @Test
    void timerWithNegativePeriodIsRejected() {
        org.assertj.core.api.Assertions.assertThatIllegalArgumentException()
            .isThrownBy(() -> node("T").startTimer(0, -5))
            .withMessageContaining("period must not be negative");
        org.assertj.core.api.Assertions.assertThatIllegalArgumentException()
            .isThrownBy(() -> node("T").startTimer(-1, 5))
            .withMessageContaining("dueTime must not be negative");
    }

    /** Starts the builder of every runtime these tests make; a subclass runs them on another turn scheduler. */
    ActorRuntime.Builder runtimeBuilder() {
        return ActorRuntime.builder();
    }
}
