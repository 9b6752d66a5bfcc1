package dev.quark.jobs.runtime;

import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

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

    /** How long {@link #stop} waits for a sweep that is running to end. */
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);

    private final Object lock = new Object();

    private LeaseKeeper.Scheduler.@Nullable Cancellable next;

    /** The end of the sweep that is running, or {@code null}. */
    private @Nullable CompletableFuture<Void> current;

    /** Counts the starts and stops, so that a round scheduled before a stop does not go on after a restart. */
    private long generation;

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
     * Starts sweeping: a first round after one interval, then one every interval. A stopped sweeper starts again; a
     * closed one does not.
     */
    public void start() {
        synchronized (this.lock) {
            if (this.running || this.closed) {
                return;
            }
            this.running = true;
            long started = ++this.generation;
            this.next = this.scheduler.schedule(this.clock.instant().plus(this.interval), () -> round(started));
        }
    }

    private CompletionStage<?> round(long started) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        synchronized (this.lock) {
            if (!this.running || this.generation != started) {
                done.complete(null);
                return done;
            }
            this.next = null;
            this.current = done;
        }
        Thread.ofVirtual().name("quark-jobs-workflows").start(() -> {
            try {
                this.advancer.sweep();
            }
            catch (RuntimeException ex) {
                logger.warn("Could not sweep the active workflows; trying again in {}", this.interval, ex);
            }
            finally {
                synchronized (this.lock) {
                    this.current = null;
                    if (this.running && this.generation == started) {
                        this.next = this.scheduler.schedule(this.clock.instant().plus(this.interval),
                                () -> round(started));
                    }
                }
                done.complete(null);
            }
        });
        return done;
    }

    /**
     * Returns whether it runs.
     * @return whether it was started and not stopped or closed since
     */
    public boolean isRunning() {
        synchronized (this.lock) {
            return this.running && !this.closed;
        }
    }

    /**
     * Stops sweeping, waiting (30 seconds at most) for a sweep that is running to end; {@link #start} starts again.
     */
    public void stop() {
        CompletableFuture<Void> sweeping;
        synchronized (this.lock) {
            this.running = false;
            this.generation++;
            if (this.next != null) {
                this.next.cancel();
                this.next = null;
            }
            sweeping = this.current;
        }
        if (sweeping == null) {
            return;
        }
        try {
            sweeping.get(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        }
        catch (TimeoutException ex) {
            logger.warn("The workflow sweep still runs after {}; stopping without it", STOP_TIMEOUT);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
        catch (ExecutionException ex) {
            throw new IllegalStateException("cannot happen: a sweep's end is never completed exceptionally", ex);
        }
    }

    /**
     * Stops sweeping for good, as {@link #stop} does, and releases the sweeper's own thread.
     */
    @Override
    public void close() {
        stop();
        synchronized (this.lock) {
            this.closed = true;
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
