package dev.quark.jobs.runtime;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

import dev.quark.jobs.JobStatus;
import dev.quark.jobs.store.JobStore;
import dev.quark.lease.LeaseKeeper;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes finished jobs once they are older than their status's retention, every {@code interval}: succeeded jobs
 * after 36 hours and cancelled ones after 36 hours unless configured otherwise, dead-lettered ones only when given a
 * retention (by default they wait to be requeued or purged). Each node may run one; their deletions do not conflict.
 * <p>
 * Time comes from the injected {@link Clock} and the rounds from a {@link LeaseKeeper.Scheduler}, so tests run it in
 * virtual time.
 */
public final class JobRetention implements AutoCloseable {

    private static final Logger logger = LoggerFactory.getLogger(JobRetention.class);

    private final JobStore store;

    private final Map<JobStatus, Duration> keepFor;

    private final Duration interval;

    private final Clock clock;

    private final LeaseKeeper.Scheduler scheduler;

    private final @Nullable ScheduledExecutorService ownScheduler;

    private final Object lock = new Object();

    private LeaseKeeper.Scheduler.@Nullable Cancellable next;

    private boolean running;

    private boolean closed;

    /**
     * Creates a retention that has not started.
     * @param store where the jobs are
     * @param keepFor how long jobs of each finished status are kept after they finished; a status without an entry is
     * kept until purged
     * @param interval how often to delete
     * @param clock the clock
     * @param scheduler the scheduler of the rounds, or {@code null} for a daemon thread of its own
     * @throws IllegalArgumentException naming the value when a status is not a finished one, a retention is negative
     * or the interval not positive
     */
    public JobRetention(JobStore store, Map<JobStatus, Duration> keepFor, Duration interval, Clock clock,
            LeaseKeeper.@Nullable Scheduler scheduler) {
        this.store = Objects.requireNonNull(store, "store must not be null");
        Map<JobStatus, Duration> copy = new EnumMap<>(JobStatus.class);
        keepFor.forEach((status, duration) -> {
            if (!status.isFinished()) {
                throw new IllegalArgumentException("Only finished jobs have a retention, not " + status + " ones");
            }
            if (duration.isNegative()) {
                throw new IllegalArgumentException("The retention of " + status + " jobs must not be negative, was "
                        + duration);
            }
            copy.put(status, duration);
        });
        this.keepFor = Map.copyOf(copy);
        Objects.requireNonNull(interval, "interval must not be null");
        if (interval.isZero() || interval.isNegative()) {
            throw new IllegalArgumentException("The retention interval must be positive, was " + interval);
        }
        this.interval = interval;
        this.clock = Objects.requireNonNull(clock, "clock must not be null");
        if (scheduler != null) {
            this.scheduler = scheduler;
            this.ownScheduler = null;
        }
        else {
            this.ownScheduler = Executors.newSingleThreadScheduledExecutor(
                    Thread.ofPlatform().name("quark-jobs-retention-", 0).daemon().factory());
            this.scheduler = LeaseKeeper.Scheduler.of(clock, this.ownScheduler);
        }
    }

    /**
     * Returns the default retentions: succeeded and cancelled jobs 36 hours; dead-lettered ones until purged.
     * @return the retentions
     */
    public static Map<JobStatus, Duration> defaults() {
        return Map.of(JobStatus.SUCCEEDED, Duration.ofHours(36), JobStatus.CANCELLED, Duration.ofHours(36));
    }

    /**
     * Starts deleting, the first round one interval from now.
     */
    public void start() {
        synchronized (this.lock) {
            if (this.running || this.closed) {
                return;
            }
            this.running = true;
            arm();
        }
    }

    /**
     * Deletes the jobs past their retention now.
     * @return how many were deleted
     */
    public int sweep() {
        Instant now = this.clock.instant();
        int deleted = 0;
        for (Map.Entry<JobStatus, Duration> retention : this.keepFor.entrySet()) {
            deleted += this.store.purge(Set.of(retention.getKey()), now.minus(retention.getValue()));
        }
        if (deleted > 0) {
            logger.debug("Deleted {} finished jobs past their retention {}", deleted, this.keepFor);
        }
        return deleted;
    }

    private void arm() {
        if (this.closed || this.keepFor.isEmpty()) {
            return;
        }
        this.next = this.scheduler.schedule(this.clock.instant().plus(this.interval), this::round);
    }

    private CompletionStage<?> round() {
        return CompletableFuture.runAsync(() -> {
            try {
                sweep();
            }
            catch (RuntimeException ex) {
                logger.warn("Could not delete the finished jobs past their retention; trying again in {}", this.interval,
                        ex);
            }
            finally {
                synchronized (this.lock) {
                    this.next = null;
                    arm();
                }
            }
        }, (task) -> Thread.ofVirtual().name("quark-jobs-retention").start(task));
    }

    /**
     * Returns the retentions.
     * @return how long jobs of each finished status are kept
     */
    public Map<JobStatus, Duration> keepFor() {
        return this.keepFor;
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
     * Stops deleting.
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
        return "JobRetention" + this.keepFor + " every " + this.interval;
    }
}
