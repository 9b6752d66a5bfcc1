package dev.quark.jobs.runtime;

import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

import dev.quark.lease.LeaseKeeper;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs {@link WorkflowAdvancer#sweep()} every sweep interval: the safety net that moves on the workflows whose
 * advance after a step's outcome did not happen (the node stopped in between, the store could not be reached).
 * Every node may run one; advances are idempotent. Rounds come from a {@link LeaseKeeper.Scheduler}, so tests run it
 * in virtual time.
 */
public final class WorkflowSweeper implements AutoCloseable {

    private static final Logger logger = LoggerFactory.getLogger(WorkflowSweeper.class);

    private final WorkflowAdvancer advancer;

    private final Duration interval;

    private final Clock clock;

    private final LeaseKeeper.Scheduler scheduler;

    private final @Nullable ScheduledExecutorService ownScheduler;

    private final Object lock = new Object();

    private LeaseKeeper.Scheduler.@Nullable Cancellable next;

    private boolean running;

    private boolean closed;

    /**
     * Creates a sweeper that has not started.
     * @param advancer advances the workflows
     * @param interval how often to sweep
     * @param clock the clock
     * @param scheduler the scheduler of the rounds, or {@code null} for a daemon thread of its own
     * @throws IllegalArgumentException naming the value when the interval is not positive
     */
    public WorkflowSweeper(WorkflowAdvancer advancer, Duration interval, Clock clock,
            LeaseKeeper.@Nullable Scheduler scheduler) {
        this.advancer = Objects.requireNonNull(advancer, "advancer must not be null");
        Objects.requireNonNull(interval, "interval must not be null");
        if (interval.isZero() || interval.isNegative()) {
            throw new IllegalArgumentException("The workflow sweep interval must be positive, was " + interval);
        }
        this.interval = interval;
        this.clock = Objects.requireNonNull(clock, "clock must not be null");
        if (scheduler != null) {
            this.scheduler = scheduler;
            this.ownScheduler = null;
        }
        else {
            this.ownScheduler = Executors.newSingleThreadScheduledExecutor(
                    Thread.ofPlatform().name("quark-jobs-workflows-", 0).daemon().factory());
            this.scheduler = LeaseKeeper.Scheduler.of(clock, this.ownScheduler);
        }
    }

    /**
     * Starts sweeping: a first round after one interval, then one every interval.
     */
    public void start() {
        synchronized (this.lock) {
            if (this.running || this.closed) {
                return;
            }
            this.running = true;
            this.next = this.scheduler.schedule(this.clock.instant().plus(this.interval), this::round);
        }
    }

    private CompletionStage<?> round() {
        return CompletableFuture.runAsync(() -> {
            try {
                this.advancer.sweep();
            }
            catch (RuntimeException ex) {
                logger.warn("Could not sweep the active workflows; trying again in {}", this.interval, ex);
            }
            finally {
                synchronized (this.lock) {
                    this.next = null;
                    if (!this.closed) {
                        this.next = this.scheduler.schedule(this.clock.instant().plus(this.interval), this::round);
                    }
                }
            }
        }, (task) -> Thread.ofVirtual().name("quark-jobs-workflows").start(task));
    }

    /**
     * Returns whether it runs.
     * @return whether it was started and not closed
     */
    public boolean isRunning() {
        synchronized (this.lock) {
            return this.running && !this.closed;
        }
    }

    /**
     * Stops sweeping.
     */
    @Override
    public void close() {
        synchronized (this.lock) {
            this.closed = true;
            if (this.next != null) {
                this.next.cancel();
                this.next = null;
            }
        }
        if (this.ownScheduler != null) {
            this.ownScheduler.shutdownNow();
        }
    }

    @Override
    public String toString() {
        return "WorkflowSweeper[" + this.advancer + ", every " + this.interval + "]";
    }
}
