package dev.quark.jobs.runtime;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.quark.jobs.WorkflowId;
import dev.quark.jobs.store.StoredWorkflow;
import dev.quark.jobs.store.WorkflowStore;
import dev.quark.jobs.store.memory.InMemoryJobStore;
import dev.quark.jobs.store.memory.InMemoryWorkflowStore;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class WorkflowSweeperTests {

    /** Counts the sweeps (each lists the active workflows) and can hold one. */
    private static final class CountingStore implements WorkflowStore {

        private final WorkflowStore delegate = new InMemoryWorkflowStore();

        private final AtomicInteger sweeps = new AtomicInteger();

        private volatile @Nullable Semaphore hold;

        private final CountDownLatch held = new CountDownLatch(1);

        @Override
        public void create(StoredWorkflow workflow) {
            this.delegate.create(workflow);
        }

        @Override
        public Optional<StoredWorkflow> find(WorkflowId id) {
            return this.delegate.find(id);
        }

        @Override
        public boolean update(StoredWorkflow workflow, long expectedVersion) {
            return this.delegate.update(workflow, expectedVersion);
        }

        @Override
        public List<WorkflowId> active(@Nullable WorkflowId after, int limit) {
            this.sweeps.incrementAndGet();
            Semaphore gate = this.hold;
            if (gate != null) {
                this.held.countDown();
                gate.acquireUninterruptibly();
            }
            return this.delegate.active(after, limit);
        }
    }

    private static WorkflowSweeper sweeper(CountingStore store) {
        WorkflowAdvancer advancer = new WorkflowAdvancer(store, new InMemoryJobStore(), Clock.systemUTC(),
                new JobEvents() {
                });
        return new WorkflowSweeper(advancer, Duration.ofMillis(10), Clock.systemUTC(), null);
    }

    @Test
    @Timeout(60)
    void aStoppedSweeperSweepsAgainOnceRestarted() {
        CountingStore store = new CountingStore();
        try (WorkflowSweeper sweeper = sweeper(store)) {
            sweeper.start();
            await().atMost(Duration.ofSeconds(10)).until(() -> store.sweeps.get() >= 2);
            sweeper.stop();
            assertThat(sweeper.isRunning()).isFalse();
            int stopped = store.sweeps.get();
            await().during(Duration.ofMillis(200))
                .atMost(Duration.ofSeconds(1))
                .until(() -> store.sweeps.get() == stopped);
            sweeper.start();
            assertThat(sweeper.isRunning()).isTrue();
            await().atMost(Duration.ofSeconds(10)).until(() -> store.sweeps.get() >= stopped + 2);
        }
    }

    @Test
    @Timeout(60)
    void closeWaitsForTheSweepThatRuns() throws Exception {
        CountingStore store = new CountingStore();
        Semaphore gate = new Semaphore(0);
        store.hold = gate;
        WorkflowSweeper sweeper = sweeper(store);
        sweeper.start();
        assertThat(store.held.await(10, TimeUnit.SECONDS)).isTrue();
        CompletableFuture<Void> closed = CompletableFuture.runAsync(sweeper::close,
                (task) -> Thread.ofVirtual().start(task));
        await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(1)).until(() -> !closed.isDone());
        gate.release();
        closed.get(10, TimeUnit.SECONDS);
        assertThat(sweeper.isRunning()).isFalse();
        int after = store.sweeps.get();
        store.hold = null;
        sweeper.start();
        await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(1)).until(() -> store.sweeps.get() == after);
    }
}
