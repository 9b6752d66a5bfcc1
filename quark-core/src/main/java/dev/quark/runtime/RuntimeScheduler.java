package dev.quark.runtime;

import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Supplier;

import dev.quark.runtime.internal.ClockScheduler;

/**
 * Runs the runtime's own timed work — timer ticks, restarts after a backoff, idle collection — at instants
 * of its clock. The default runs them in real time; the test kit's {@code ManualScheduler} runs them when a
 * test moves a manual clock, so that no test has to sleep.
 */
public interface RuntimeScheduler {

    /**
     * Runs a task at an instant of the runtime's clock, or as soon as possible if that instant has passed.
     * Tasks must be short: they start work elsewhere and return.
     * @param at when to run the task
     * @param task the task; it returns a stage that completes when the work it started is done, which
     * schedulers that drive virtual time wait for before running the next task
     * @return a handle to cancel the task
     */
    Cancellable schedule(Instant at, Supplier<? extends CompletionStage<?>> task);

    /**
     * Returns the real-time scheduler the runtime uses by default: it runs each task on the executor once the
     * clock reaches its instant.
     * @param clock the clock the instants are read on
     * @param executor the executor that waits, usually one daemon thread
     * @return the scheduler
     */
    static RuntimeScheduler onClock(Clock clock, ScheduledExecutorService executor) {
        return new ClockScheduler(clock, executor);
    }

    /**
     * A scheduled task that can still be cancelled.
     */
    @FunctionalInterface
    interface Cancellable {

        /**
         * Cancels the task if it has not started.
         * @return whether the task was cancelled before it started
         */
        boolean cancel();
    }
}
