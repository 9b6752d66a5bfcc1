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
 * round held this way schedules its next one only when it runs, as a frozen timer thread would.
 * <p>
 * Owns a timer thread and a virtual-thread executor; {@link #close()} ends them once the agent is closed.
 */
final class SiloPause implements AutoCloseable {

    private final ScheduledThreadPoolExecutor timer;

    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();

    private final RuntimeScheduler onClock;

    private final List<Supplier<? extends CompletionStage<?>>> heldTasks = new ArrayList<>();

    private final List<Runnable> heldWork = new ArrayList<>();

    private boolean paused;

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
        return this.onClock.schedule(at, () -> {
            synchronized (this) {
                if (this.paused) {
                    this.heldTasks.add(task);
                    return CompletableFuture.completedFuture(null);
                }
            }
            return task.get();
        });
    }

    private void execute(Runnable work) {
        synchronized (this) {
            if (this.paused) {
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
        List<Supplier<? extends CompletionStage<?>>> tasks;
        synchronized (this) {
            this.paused = false;
            work = List.copyOf(this.heldWork);
            tasks = List.copyOf(this.heldTasks);
            this.heldWork.clear();
            this.heldTasks.clear();
        }
        work.forEach(this.threads::execute);
        tasks.forEach((task) -> this.timer.execute(task::get));
    }

    @Override
    public void close() {
        this.timer.shutdownNow();
        this.threads.shutdownNow();
    }
}
