package dev.quark.runtime;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

import dev.quark.actor.ActorCallExpiredException;
import dev.quark.runtime.fixtures.Node;
import dev.quark.runtime.fixtures.NodeActor;
import dev.quark.runtime.fixtures.NodeEnvironment;
import dev.quark.runtime.fixtures.SettableClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A call made inside a turn keeps the deadline of the call that turn serves when that one comes first.
 */
class DeadlinePropagationTests {

    private final NodeEnvironment environment = new NodeEnvironment();

    private final SettableClock clock = new SettableClock();

    private final ActorRuntime runtime = ActorRuntime.builder()
        .clock(this.clock)
        .callTimeout(Duration.ofSeconds(30))
        .actor(NodeActor.class, () -> new NodeActor(this.environment))
        .build();

    DeadlinePropagationTests() {
        this.environment.actors().set(this.runtime);
    }

    @AfterEach
    void close() {
        this.environment.openAll();
        this.runtime.close();
    }

    @Test
    void nestedCallThatWaitsPastItsCallersDeadlineIsDroppedNotRun() throws Exception {
        Node a = this.runtime.get(Node.class, "a");
        Node b = this.runtime.get(Node.class, "b");
        CompletableFuture.runAsync(() -> b.block("busy"));
        await().atMost(Duration.ofSeconds(5)).until(() -> this.environment.log().contains("b:block:busy"));

        this.environment.barrier("start", 2);
        CompletableFuture<String> caller = CompletableFuture.supplyAsync(() -> a.cross("b", "start"));
        await().atMost(Duration.ofSeconds(5))
            .until(() -> this.environment.barrier("start").getNumberWaiting() == 1);
        // The caller's deadline is 30 s after it called; a's nested call to b is made 20 s later.
        this.clock.advance(Duration.ofSeconds(20));
        this.environment.barrier("start").await();
        // b is still busy when the caller's deadline passes, but not yet the nested call's own 30 s.
        this.clock.advance(Duration.ofSeconds(20));
        this.environment.open("busy");

        assertThat(caller).failsWithin(Duration.ofSeconds(5))
            .withThrowableOfType(ExecutionException.class)
            .withRootCauseInstanceOf(ActorCallExpiredException.class);
        assertThat(this.environment.log()).doesNotContain("b:ping");
    }
}
