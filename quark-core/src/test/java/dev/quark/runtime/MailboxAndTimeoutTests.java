package dev.quark.runtime;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;

import dev.quark.actor.ActorCallTimeoutException;
import dev.quark.actor.MailboxFullException;
import dev.quark.runtime.fixtures.Counter;
import dev.quark.runtime.fixtures.CounterActor;
import dev.quark.runtime.fixtures.Probe;
import dev.quark.runtime.fixtures.ProbeActor;
import dev.quark.runtime.fixtures.ProbeEnvironment;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

class MailboxAndTimeoutTests {

    private final ProbeEnvironment environment = new ProbeEnvironment();

    private final ActorRuntime runtime = runtimeBuilder()
        .actor(CounterActor.class)
        .actor(ProbeActor.class, () -> new ProbeActor(this.environment))
        .mailboxCapacity(2)
        .mailboxFullTimeout(Duration.ofMillis(200))
        .callTimeout(Duration.ofMillis(500))
        .build();

    @AfterEach
    void close() {
        this.environment.gates().values().forEach(java.util.concurrent.CountDownLatch::countDown);
        this.runtime.close();
    }

    @Test
    void callThatOutlivesTheCallTimeoutFailsNamingActorAndMethod() {
        Probe probe = this.runtime.get(Probe.class, "slow");
        long started = System.nanoTime();
        assertThatExceptionOfType(ActorCallTimeoutException.class).isThrownBy(() -> probe.block("never"))
            .withMessageContaining("Probe/slow.block()")
            .satisfies((ex) -> assertThat(ex.getActor()).isEqualTo("Probe/slow"))
            .satisfies((ex) -> assertThat(ex.getMethod()).isEqualTo("block"));
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofMillis(500))
            .isLessThan(Duration.ofSeconds(5));
        this.environment.open("never");
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(probe.overlap()).isEqualTo(1));
    }

    @Test
    void asynchronousCallTimesOutWithTheSameException() {
        Counter counter = this.runtime.get(Counter.class, "async-timeout");
        Probe probe = this.runtime.get(Probe.class, "async-timeout");
        CompletableFuture.runAsync(() -> probe.block("held"));
        await().atMost(Duration.ofSeconds(5)).until(() -> this.runtime.isActive(Probe.class, "async-timeout"));
        assertThat(counter.incrementAsync()).succeedsWithin(Duration.ofSeconds(5));
        CompletableFuture<String> failing = probe.failAsync("unused");
        assertThat(failing).failsWithin(Duration.ofSeconds(5))
            .withThrowableOfType(java.util.concurrent.ExecutionException.class)
            .havingCause()
            .isInstanceOf(ActorCallTimeoutException.class);
    }

    @Test
    void messageWhoseCallerTimedOutBeforeItStartedIsSkipped() {
        Probe probe = this.runtime.get(Probe.class, "queue");
        CompletableFuture.runAsync(() -> probe.block("first"));
        await().atMost(Duration.ofSeconds(5)).until(() -> this.runtime.isActive(Probe.class, "queue"));
        assertThatExceptionOfType(ActorCallTimeoutException.class).isThrownBy(() -> probe.block("second"));
        this.environment.open("first");
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(probe.overlap()).isEqualTo(1));
        assertThat(this.environment.gates()).doesNotContainKey("second");
    }

    @Test
    void fullMailboxMakesTheCallerWaitThenFailsWithoutLosingAcceptedMessages() throws Exception {
        // A call timeout of its own: the accepted calls wait for the gate longer than this class's 500 ms.
        ActorRuntime busy = runtimeBuilder()
            .actor(ProbeActor.class, () -> new ProbeActor(this.environment))
            .mailboxCapacity(2)
            .mailboxFullTimeout(Duration.ofMillis(200))
            .callTimeout(Duration.ofSeconds(30))
            .build();
        try {
            Probe probe = busy.get(Probe.class, "busy");
            List<CompletableFuture<String>> accepted = new ArrayList<>();
            accepted.add(CompletableFuture.supplyAsync(() -> probe.block("gate")));
            await().atMost(Duration.ofSeconds(5)).until(() -> busy.isActive(Probe.class, "busy"));
            for (int i = 0; i < 2; i++) {
                accepted.add(CompletableFuture.supplyAsync(() -> probe.block("gate")));
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> busy.queuedMessages(Probe.class, "busy") == 2);

            long started = System.nanoTime();
            assertThatExceptionOfType(MailboxFullException.class).isThrownBy(() -> probe.block("gate"))
                .withMessageContaining("Probe/busy")
                .withMessageContaining("capacity 2")
                .satisfies((ex) -> assertThat(ex.getCapacity()).isEqualTo(2));
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofMillis(200));

            this.environment.open("gate");
            for (CompletableFuture<String> call : accepted) {
                assertThat(call.get(5, TimeUnit.SECONDS)).isEqualTo("gate");
            }
        }
        finally {
            busy.close();
        }
    }

    @Test
    void callerWaitingForRoomGetsInWhenRoomFrees() throws Exception {
        ActorRuntime patient = runtimeBuilder()
            .actor(ProbeActor.class, () -> new ProbeActor(this.environment))
            .mailboxCapacity(1)
            .mailboxFullTimeout(Duration.ofSeconds(10))
            .build();
        try {
            Probe probe = patient.get(Probe.class, "patient");
            CompletableFuture<String> running = CompletableFuture.supplyAsync(() -> probe.block("a"));
            await().atMost(Duration.ofSeconds(5)).until(() -> patient.isActive(Probe.class, "patient"));
            CompletableFuture<String> queued = CompletableFuture.supplyAsync(() -> probe.block("b"));
            await().atMost(Duration.ofSeconds(5)).until(() -> patient.queuedMessages(Probe.class, "patient") == 1);
            CompletableFuture<String> waiting = CompletableFuture.supplyAsync(() -> probe.block("c"));
            this.environment.open("a");
            this.environment.open("b");
            this.environment.open("c");
            assertThat(running.get(5, TimeUnit.SECONDS)).isEqualTo("a");
            assertThat(queued.get(5, TimeUnit.SECONDS)).isEqualTo("b");
            assertThat(waiting.get(5, TimeUnit.SECONDS)).isEqualTo("c");
        }
        finally {
            patient.close();
        }
    }

    @Test
    void callersWaitingForRoomGetInOnceAQuarterOfTheMailboxIsFree() throws Exception {
        ActorRuntime patient = runtimeBuilder()
            .actor(ProbeActor.class, () -> new ProbeActor(this.environment))
            .mailboxCapacity(8)
            .mailboxFullTimeout(Duration.ofSeconds(10))
            .build();
        try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
            Probe probe = patient.get(Probe.class, "patient");
            List<Future<String>> accepted = new ArrayList<>();
            accepted.add(callers.submit(() -> probe.block("g0")));
            await().atMost(Duration.ofSeconds(5)).until(() -> patient.isActive(Probe.class, "patient"));
            for (int i = 1; i <= 8; i++) {
                String gate = "g" + i;
                accepted.add(callers.submit(() -> probe.block(gate)));
                int queued = i;
                await().atMost(Duration.ofSeconds(5))
                    .until(() -> patient.queuedMessages(Probe.class, "patient") == queued);
            }
            FutureTask<String> late = new FutureTask<>(() -> probe.block("late"));
            Thread lateCaller = Thread.ofVirtual().start(late);
            await().atMost(Duration.ofSeconds(5))
                .until(() -> lateCaller.getState() == Thread.State.TIMED_WAITING);

            this.environment.open("g0");
            await().atMost(Duration.ofSeconds(5)).until(() -> patient.queuedMessages(Probe.class, "patient") == 7);
            await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(1))
                .until(() -> patient.queuedMessages(Probe.class, "patient") == 7 && !late.isDone());

            this.environment.open("g1");
            accepted.get(1).get(5, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(5)).until(() -> patient.queuedMessages(Probe.class, "patient") == 7);

            for (int i = 2; i <= 8; i++) {
                this.environment.open("g" + i);
            }
            this.environment.open("late");
            for (int i = 0; i <= 8; i++) {
                assertThat(accepted.get(i).get(5, TimeUnit.SECONDS)).isEqualTo("g" + i);
            }
            assertThat(late.get(5, TimeUnit.SECONDS)).isEqualTo("late");
        }
        finally {
            patient.close();
        }
    }

    /** Starts the builder of every runtime these tests make; a subclass runs them on another turn scheduler. */
    ActorRuntime.Builder runtimeBuilder() {
        return ActorRuntime.builder();
    }
}
