package dev.quark.testkit.cluster;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.function.Supplier;

import dev.quark.runtime.RuntimeScheduler;

/**
 * The scheduler and the executor of one test silo's membership agent, which a test can stop as a long
 * stop-the-world pause (a garbage collection, a frozen VM) would stop the agent's threads: what falls due on the
 * scheduler and what is handed to the executor meanwhile is held, and runs late, when the pause ends. A periodic
 * round held this way schedules its next one only when it runs, as a frozen timer thread would. A held task that
 * is cancelled meanwhile does not run. The agent's job running when the pause starts, and those its serial
 * executor runs after it in the same turn of the executor, are not held.
 * <p>
 * Owns a timer thread and a virtual-thread executor; {@link #close()} ends them once the agent is closed, and
 * drops what is still held.
 */
final class SiloPause implements AutoCloseable {

    private final ScheduledThreadPoolExecutor timer;

    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();

    private final RuntimeScheduler onClock;

    private final List<HeldTask> heldTasks = new ArrayList<>();

    private final List<Runnable> heldWork = new ArrayList<>();

    private boolean paused;

    private boolean closed;

    SiloPause(String siloId, Clock clock) {
        this.timer = new ScheduledThreadPoolExecutor(1, (task) -> {
            Thread thread = new Thread(task, "quark-test-membership-" + siloId);
            thread.setDaemon(true);
            return thread;
        });
        this.timer.setRemoveOnCancelPolicy(true);
        this.onClock = RuntimeScheduler.onClock(clock, this.timer);
    }

    /** The agent's scheduler: the clock's, holding what falls due while paused. */
    RuntimeScheduler scheduler() {
        return this::schedule;
    }

    /** The agent's executor: virtual threads, holding what is handed to it while paused. */
    Executor executor() {
        return this::execute;
    }

    private RuntimeScheduler.Cancellable schedule(Instant at, Supplier<? extends CompletionStage<?>> task) {
        HeldTask held = new HeldTask(task);
        RuntimeScheduler.Cancellable scheduled = this.onClock.schedule(at, () -> {
            synchronized (this) {
                if (this.paused) {
                    this.heldTasks.add(held);
                    return CompletableFuture.completedFuture(null);
                }
            }
            return task.get();
        });
        return () -> {
            synchronized (this) {
                if (this.heldTasks.remove(held)) {
                    return true;
                }
            }
            return scheduled.cancel();
        };
    }

    private void execute(Runnable work) {
        synchronized (this) {
            if (this.paused && !this.closed) {
                this.heldWork.add(work);
                return;
            }
        }
        this.threads.execute(work);
    }

    synchronized void pause() {
        this.paused = true;
    }

    /** Ends the pause: what was held runs now. */
    void resume() {
        List<Runnable> work;
        List<HeldTask> tasks;
        synchronized (this) {
            this.paused = false;
            if (this.closed) {
                return;
            }
            work = List.copyOf(this.heldWork);
            tasks = List.copyOf(this.heldTasks);
            this.heldWork.clear();
            this.heldTasks.clear();
        }
        work.forEach(this.threads::execute);
        tasks.forEach((held) -> this.timer.execute(() -> held.task().get()));
    }

    @Override
    public void close() {
        synchronized (this) {
            this.closed = true;
            this.heldWork.clear();
            this.heldTasks.clear();
        }
        this.timer.shutdownNow();
        this.threads.shutdown();
    }

    /** A task that fell due while paused, found by identity when it is cancelled. */
    private static final class HeldTask {

        private final Supplier<? extends CompletionStage<?>> task;

        HeldTask(Supplier<? extends CompletionStage<?>> task) {
            this.task = task;
        }

        Supplier<? extends CompletionStage<?>> task() {
            return this.task;
        }
    }
}
