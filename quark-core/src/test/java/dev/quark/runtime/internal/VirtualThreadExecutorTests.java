package dev.quark.runtime.internal;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class VirtualThreadExecutorTests {

    @AutoClose
    private final VirtualThreadExecutor executor = new VirtualThreadExecutor("test-turn", 2);

    @Test
    void runsTasksOnVirtualThreadsAndReusesAWaitingOne() throws Exception {
        Thread first = threadOf(this.executor);
        assertThat(first.isVirtual()).isTrue();
        assertThat(first.getName()).isEqualTo("test-turn");
        await().atMost(Duration.ofSeconds(5)).until(() -> this.executor.idleThreads() == 1);

        assertThat(threadOf(this.executor)).isSameAs(first);
    }

    @Test
    void aBlockedTaskNeverHoldsUpAnother() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<Thread> blocked = new CompletableFuture<>();
        this.executor.execute(() -> {
            blocked.complete(Thread.currentThread());
            awaitQuietly(release);
        });
        blocked.get(5, TimeUnit.SECONDS);

        Thread other = threadOf(this.executor);

        assertThat(other).isNotSameAs(blocked.get());
        release.countDown();
    }

    @Test
    void keepsAtMostMaxIdleThreadsWaiting() throws Exception {
        CountDownLatch running = new CountDownLatch(5);
        CountDownLatch release = new CountDownLatch(1);
        Set<Thread> threads = ConcurrentHashMap.newKeySet();
        for (int i = 0; i < 5; i++) {
            this.executor.execute(() -> {
                threads.add(Thread.currentThread());
                running.countDown();
                awaitQuietly(release);
            });
        }
        assertThat(running.await(5, TimeUnit.SECONDS)).isTrue();
        release.countDown();

        await().atMost(Duration.ofSeconds(5))
            .until(() -> threads.stream().filter(Thread::isAlive).count() == 2 && this.executor.idleThreads() == 2);
    }

    @Test
    void aFailingTaskLeavesItsThreadReusable() throws Exception {
        CompletableFuture<Thread> failing = new CompletableFuture<>();
        this.executor.execute(() -> {
            failing.complete(Thread.currentThread());
            throw new IllegalStateException("expected by the test");
        });
        Thread thread = failing.get(5, TimeUnit.SECONDS);
        // The task's failure goes to the thread's uncaught-exception handler, as intended; Awaitility would
        // otherwise take it for a failure of the wait when it arrives while the wait runs.
        await().dontCatchUncaughtExceptions()
            .atMost(Duration.ofSeconds(5))
            .until(() -> this.executor.idleThreads() == 1);

        assertThat(threadOf(this.executor)).isSameAs(thread);
    }

    @Test
    void closeEndsTheWaitingThreadsAndLaterTasksStillRun() throws Exception {
        Thread first = threadOf(this.executor);
        await().atMost(Duration.ofSeconds(5)).until(() -> this.executor.idleThreads() == 1);

        this.executor.close();

        first.join(Duration.ofSeconds(5));
        assertThat(first.isAlive()).isFalse();
        assertThat(this.executor.idleThreads()).isZero();
        Thread later = threadOf(this.executor);
        assertThat(later).isNotSameAs(first);
        later.join(Duration.ofSeconds(5));
        assertThat(later.isAlive()).isFalse();
    }

    private static Thread threadOf(VirtualThreadExecutor executor) throws Exception {
        CompletableFuture<Thread> thread = new CompletableFuture<>();
        executor.execute(() -> thread.complete(Thread.currentThread()));
        return thread.get(5, TimeUnit.SECONDS);
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }
}
