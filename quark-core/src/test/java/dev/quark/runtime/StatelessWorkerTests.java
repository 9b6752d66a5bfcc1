package dev.quark.runtime;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.quark.actor.AbstractActor;
import dev.quark.actor.Actor;
import dev.quark.actor.DeactivationReason;
import dev.quark.actor.QuarkActor;
import dev.quark.actor.StatelessWorker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.awaitility.Awaitility.await;

/**
 * Stateless workers: a pool of activations per id on one runtime, an idle one preferred, new ones while the
 * pool is not full, the least busy otherwise.
 */
class StatelessWorkerTests {

    private final CountDownLatch release = new CountDownLatch(1);

    private final AtomicInteger instances = new AtomicInteger();

    private final Set<Integer> running = ConcurrentHashMap.newKeySet();

    private final Map<Integer, CountDownLatch> gates = new ConcurrentHashMap<>();

    private final ActorRuntime runtime = runtimeBuilder()
        .actor(PoolActor.class,
                () -> new PoolActor(this.release, this.instances.incrementAndGet(), this.running, this.gates))
        .build();

    private final ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor();

    @AfterEach
    void close() {
        this.release.countDown();
        this.gates.values().forEach(CountDownLatch::countDown);
        this.runtime.close();
        this.callers.shutdownNow();
    }

    @Test
    void concurrentCallsToOneIdRunInUpToMaxActivationsAndTheRestWait() {
        Pool pool = this.runtime.get(Pool.class, "p");
        List<CompletableFuture<String>> calls = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            calls.add(CompletableFuture.supplyAsync(pool::hold));
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> this.running.size() == 3);
        assertThat(this.runtime.activationCount()).isEqualTo(3);
        assertThat(calls).noneMatch(CompletableFuture::isDone);
        this.release.countDown();
        Set<String> answers = new HashSet<>();
        for (CompletableFuture<String> call : calls) {
            answers.add(call.join());
        }
        assertThat(answers).hasSize(3).allMatch((answer) -> answer.startsWith("p@"));
        assertThat(this.runtime.activationCount()).isEqualTo(3);
    }

    @Test
    void callsOneAfterTheOtherReuseAnIdleActivation() {
        this.release.countDown();
        Pool pool = this.runtime.get(Pool.class, "q");
        Set<String> answers = new HashSet<>();
        for (int i = 0; i < 10; i++) {
            answers.add(pool.hold());
        }
        assertThat(answers).hasSize(1);
        assertThat(this.runtime.activationCount()).isEqualTo(1);
    }

    @Test
    void deactivatingAPoolDeactivatesEveryWorker() {
        Pool pool = this.runtime.get(Pool.class, "p");
        List<CompletableFuture<String>> calls = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            calls.add(CompletableFuture.supplyAsync(pool::hold, this.callers));
            int started = i + 1;
            await().atMost(Duration.ofSeconds(10)).until(() -> this.running.size() == started);
        }
        this.release.countDown();
        calls.forEach(CompletableFuture::join);
        assertThat(this.runtime.activationCount()).isEqualTo(3);

        assertThat(this.runtime.deactivate(Pool.class, "p")).isTrue();
        await().atMost(Duration.ofSeconds(5)).until(() -> this.runtime.activationCount() == 0);
        assertThat(this.runtime.isActive(Pool.class, "p")).isFalse();
    }

    @Test
    void deactivatingAPoolByItsAddressEndsWhenEveryWorkerHasEnded() {
        Pool pool = this.runtime.get(Pool.class, "p");
        List<CompletableFuture<String>> calls = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            calls.add(CompletableFuture.supplyAsync(pool::hold, this.callers));
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> this.running.size() == 2);
        this.release.countDown();
        calls.forEach(CompletableFuture::join);
        String type = this.runtime.actorTypes().iterator().next().name();

        assertThat(this.runtime.deactivate(new ActorAddress(type, "p"), DeactivationReason.EXPLICIT))
            .succeedsWithin(Duration.ofSeconds(5))
            .isEqualTo(true);
        assertThat(this.runtime.activationCount()).isZero();
    }

    @Test
    void queuedMessagesOfAPoolAddUpTheMailboxesOfEveryWorker() {
        Pool pool = this.runtime.get(Pool.class, "p");
        for (int i = 0; i < 3; i++) {
            CompletableFuture.supplyAsync(pool::hold, this.callers);
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> this.running.size() == 3);
        for (int i = 0; i < 3; i++) {
            CompletableFuture.supplyAsync(pool::hold, this.callers);
        }

        await().atMost(Duration.ofSeconds(5)).until(() -> this.runtime.queuedMessages(Pool.class, "p") == 3);
    }

    @Test
    void aPoolIsActiveWhileAnyOfItsWorkersIs() {
        Pool pool = this.runtime.get(Pool.class, "p");
        CompletableFuture<String> first = CompletableFuture.supplyAsync(pool::holdOwnGate, this.callers);
        await().atMost(Duration.ofSeconds(5)).until(() -> this.running.contains(1));
        CompletableFuture<String> second = CompletableFuture.supplyAsync(pool::holdOwnGate, this.callers);
        await().atMost(Duration.ofSeconds(5)).until(() -> this.running.contains(2));
        gate(1).countDown();
        assertThat(first).succeedsWithin(Duration.ofSeconds(5));
        pool.leave();
        await().atMost(Duration.ofSeconds(5)).until(() -> this.runtime.activationCount() == 1);

        assertThat(this.runtime.isActive(Pool.class, "p")).as("worker 1 still runs").isTrue();
        gate(2).countDown();
        assertThat(second).succeedsWithin(Duration.ofSeconds(5)).isEqualTo("p@2");
    }

    private CountDownLatch gate(int instance) {
        return this.gates.computeIfAbsent(instance, (key) -> new CountDownLatch(1));
    }

    @Test
    void aNegativePoolSizeFailsTheRuntimeNamingTheClass() {
        assertThatIllegalArgumentException()
            .isThrownBy(() -> runtimeBuilder().actor(NegativePoolActor.class).build())
            .withMessage("@StatelessWorker(maxLocalActivations = -1) on " + NegativePoolActor.class.getName()
                    + " must not be negative (0 for the number of processors)");
    }

    public interface Pool extends Actor {

        /** Waits for the test's release, then answers id@instance. */
        String hold();

        /** Waits for the test to open the gate of this instance, then answers id@instance. */
        String holdOwnGate();

        /** Asks for this worker to be deactivated once the turn ends. */
        void leave();
    }

    @QuarkActor
    @StatelessWorker(maxLocalActivations = 3)
    public static class PoolActor extends AbstractActor implements Pool {

        private final CountDownLatch release;

        private final int instance;

        private final Set<Integer> running;

        private final Map<Integer, CountDownLatch> gates;

        public PoolActor(CountDownLatch release, int instance, Set<Integer> running,
                Map<Integer, CountDownLatch> gates) {
            this.release = release;
            this.instance = instance;
            this.running = running;
            this.gates = gates;
        }

        @Override
        public String hold() {
            return holdUntil(this.release);
        }

        @Override
        public String holdOwnGate() {
            return holdUntil(this.gates.computeIfAbsent(this.instance, (key) -> new CountDownLatch(1)));
        }

        @Override
        public void leave() {
            deactivateOnIdle();
        }

        private String holdUntil(CountDownLatch gate) {
            this.running.add(this.instance);
            try {
                if (!gate.await(10, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("not released");
                }
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(ex);
            }
            return actorId() + "@" + this.instance;
        }
    }

    public interface NegativePool extends Actor {

        String hold();
    }

    @QuarkActor
    @StatelessWorker(maxLocalActivations = -1)
    public static class NegativePoolActor extends AbstractActor implements NegativePool {

        @Override
        public String hold() {
            return "never";
        }
    }

    /** Starts the builder of every runtime these tests make; a subclass runs them on another turn scheduler. */
    ActorRuntime.Builder runtimeBuilder() {
        return ActorRuntime.builder();
    }
}
