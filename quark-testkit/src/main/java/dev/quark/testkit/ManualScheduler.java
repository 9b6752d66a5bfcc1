package dev.quark.testkit;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

import dev.quark.runtime.RuntimeScheduler;
import org.jspecify.annotations.Nullable;

/**
 * A {@link RuntimeScheduler} that runs tasks only when a test moves its {@link ManualClock}: timer ticks,
 * restarts after a backoff and idle collection happen in virtual time, deterministically, in due order.
 * <p>
 * {@link #advance(Duration)} runs every task that falls due, moving the clock to each task's instant first
 * and waiting (in real time, bounded) for the work the task started — a timer tick's turn, a restart — before
 * the next one, so that a test sees the effects as soon as the call returns.
 */
public final class ManualScheduler implements RuntimeScheduler {

    private static final Duration WORK_TIMEOUT = Duration.ofSeconds(30);

    private final ManualClock clock;

    private final PriorityQueue<Task> tasks = new PriorityQueue<>();

    private long sequence;

    /**
     * Creates a scheduler driven by a manual clock.
     * @param clock the clock tasks are due on
     */
    public ManualScheduler(ManualClock clock) {
        this.clock = Objects.requireNonNull(clock, "clock must not be null");
    }

    @Override
    public synchronized Cancellable schedule(Instant at, Supplier<? extends CompletionStage<?>> task) {
        Task scheduled = new Task(at, this.sequence++, task);
        this.tasks.add(scheduled);
        return () -> {
            synchronized (this) {
                return this.tasks.remove(scheduled);
            }
        };
    }

    /**
     * Moves the clock forward, running every task that falls due on the way.
     * @param duration how far, not negative
     * @return how many tasks ran
     */
    public int advance(Duration duration) {
        Objects.requireNonNull(duration, "duration must not be null");
        if (duration.isNegative()) {
            throw new IllegalArgumentException("A manual clock only moves forward; cannot advance by " + duration);
        }
        Instant target = this.clock.instant().plus(duration);
        int ran = 0;
        Task next;
        while ((next = pollDue(target)) != null) {
            if (next.at().isAfter(this.clock.instant())) {
                this.clock.set(next.at());
            }
            run(next);
            ran++;
        }
        this.clock.set(target);
        return ran;
    }

    /**
     * Runs the tasks that are due at the clock's current instant, without moving it.
     * @return how many tasks ran
     */
    public int runDueTasks() {
        return advance(Duration.ZERO);
    }

    /**
     * Returns how many tasks wait for their instant.
     * @return the number of pending tasks
     */
    public synchronized int pendingTasks() {
        return this.tasks.size();
    }

    /**
     * Returns the instant of the next pending task.
     * @return the instant, or {@code null} when nothing is pending
     */
    public synchronized @Nullable Instant nextDue() {
        Task first = this.tasks.peek();
        return (first != null) ? first.at() : null;
    }

    private synchronized @Nullable Task pollDue(Instant target) {
        Task first = this.tasks.peek();
        if (first == null || first.at().isAfter(target)) {
            return null;
        }
        return this.tasks.poll();
    }

    private static void run(Task task) {
        CompletionStage<?> work = task.work().get();
        try {
            work.toCompletableFuture().get(WORK_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        }
        catch (TimeoutException ex) {
            throw new IllegalStateException("Work started by a task due at " + task.at() + " did not finish within "
                    + WORK_TIMEOUT + " of real time", ex);
        }
        catch (ExecutionException ex) {
            // The task's own failure was reported where it happened; the schedule goes on.
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while running a task due at " + task.at(), ex);
        }
    }

    private record Task(Instant at, long sequence, Supplier<? extends CompletionStage<?>> work)
            implements Comparable<Task> {

        @Override
        public int compareTo(Task other) {
            int byTime = this.at.compareTo(other.at);
            return (byTime != 0) ? byTime : Long.compare(this.sequence, other.sequence);
        }
    }
}
