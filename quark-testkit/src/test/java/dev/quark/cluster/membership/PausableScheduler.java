package dev.quark.cluster.membership;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

import dev.quark.runtime.RuntimeScheduler;

/**
 * One test silo's view of the shared virtual-time scheduler, which a test can pause as a stop-the-world pause
 * would: tasks that fall due meanwhile are held, and run late, at the instant of {@link #resume()}.
 */
final class PausableScheduler implements RuntimeScheduler {

    private final RuntimeScheduler scheduler;

    private final Clock clock;

    private final List<Supplier<? extends CompletionStage<?>>> held = new ArrayList<>();

    private boolean paused;

    PausableScheduler(RuntimeScheduler scheduler, Clock clock) {
        this.scheduler = scheduler;
        this.clock = clock;
    }

    @Override
    public Cancellable schedule(java.time.Instant at, Supplier<? extends CompletionStage<?>> task) {
        return this.scheduler.schedule(at, () -> {
            synchronized (this) {
                if (this.paused) {
                    this.held.add(task);
                    return CompletableFuture.completedFuture(null);
                }
            }
            return task.get();
        });
    }

    synchronized void pause() {
        this.paused = true;
    }

    /**
     * Ends the pause and runs the held tasks at once, on the calling thread: a silo that wakes up in the middle
     * of what another silo does (the test calls it from a hook of that silo's table connection).
     */
    void resumeNow() {
        List<Supplier<? extends CompletionStage<?>>> late;
        synchronized (this) {
            this.paused = false;
            late = List.copyOf(this.held);
            this.held.clear();
        }
        for (Supplier<? extends CompletionStage<?>> task : late) {
            task.get();
        }
    }

    /**
     * Ends the pause: the held tasks fall due now; the test runs them with the shared scheduler.
     */
    void resume() {
        List<Supplier<? extends CompletionStage<?>>> late;
        synchronized (this) {
            this.paused = false;
            late = List.copyOf(this.held);
            this.held.clear();
        }
        for (Supplier<? extends CompletionStage<?>> task : late) {
            this.scheduler.schedule(this.clock.instant(), task);
        }
    }
}
