package dev.quark.jobs.runtime;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

import dev.quark.jobs.MisfirePolicy;
import dev.quark.jobs.RecurringJob;
import dev.quark.jobs.store.RecurringJobStore;
import dev.quark.lease.LeaseKeeper;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Enqueues the jobs of recurring jobs whose scheduled instant has come, every poll interval. Every node may run one:
 * each instant's job carries an idempotency key made of the recurring job's id and the instant, so nodes that race
 * enqueue it once, and the recurring job is moved on to its next instant by a compare-and-set
 * ({@link RecurringJobStore#advance}). A node that stops between the two leaves the instant to the next node, whose
 * enqueue finds the job already there.
 * <p>
 * <b>Misfires.</b> An instant more than the misfire threshold in the past when it is looked at was missed (every
 * node was down, or the store could not be reached): {@link MisfirePolicy#RUN_ONCE} enqueues one job for it and
 * skips the other missed instants, {@link MisfirePolicy#SKIP} enqueues none; either way the next instant is the first
 * one after now.
 * <p>
 * Time comes from the injected {@link Clock} and the rounds from a {@link LeaseKeeper.Scheduler}, so tests run it in
 * virtual time.
 */
public final class RecurringJobScheduler implements AutoCloseable {

    private static final Logger logger = LoggerFactory.getLogger(RecurringJobScheduler.class);

    /** How many recurring jobs one read of the store returns. */
    private static final int BATCH = 100;

    /** How many reads one round makes at most. */
    private static final int MAX_BATCHES = 100;

    private final RecurringJobStore store;

    private final DefaultJobQueue queue;

    private final Duration pollInterval;

    private final Duration misfireThreshold;

    private final Clock clock;

    private final LeaseKeeper.Scheduler scheduler;

    private final @Nullable ScheduledExecutorService ownScheduler;

    private final Object lock = new Object();

    private LeaseKeeper.Scheduler.@Nullable Cancellable next;

    private boolean running;

    private boolean closed;

    /**
     * Creates a scheduler that has not started.
     * @param store where the recurring jobs are
     * @param queue enqueues their jobs
     * @param pollInterval how often to look for due recurring jobs
     * @param misfireThreshold how late an instant may be looked at and still count as on time
     * @param clock the clock
     * @param scheduler the scheduler of the rounds, or {@code null} for a daemon thread of its own
     * @throws IllegalArgumentException naming the value when a duration is not positive
     */
    public RecurringJobScheduler(RecurringJobStore store, DefaultJobQueue queue, Duration pollInterval,
            Duration misfireThreshold, Clock clock, LeaseKeeper.@Nullable Scheduler scheduler) {
        this.store = Objects.requireNonNull(store, "store must not be null");
        this.queue = Objects.requireNonNull(queue, "queue must not be null");
        this.pollInterval = requirePositive("poll interval", pollInterval);
        this.misfireThreshold = requirePositive("misfire threshold", misfireThreshold);
        this.clock = Objects.requireNonNull(clock, "clock must not be null");
        if (scheduler != null) {
            this.scheduler = scheduler;
            this.ownScheduler = null;
        }
        else {
            this.ownScheduler = Executors.newSingleThreadScheduledExecutor(
                    Thread.ofPlatform().name("quark-jobs-recurring-", 0).daemon().factory());
            this.scheduler = LeaseKeeper.Scheduler.of(clock, this.ownScheduler);
        }
    }

    private static Duration requirePositive(String name, Duration duration) {
        Objects.requireNonNull(duration, name + " must not be null");
        if (duration.isZero() || duration.isNegative()) {
            throw new IllegalArgumentException("The recurring jobs' " + name + " must be positive, was " + duration);
        }
        return duration;
    }

    /**
     * Starts looking for due recurring jobs: a first round now, then one every poll interval.
     */
    public void start() {
        synchronized (this.lock) {
            if (this.running || this.closed) {
                return;
            }
            this.running = true;
            this.next = this.scheduler.schedule(this.clock.instant(), this::round);
        }
    }

    /**
     * Enqueues the jobs of the recurring jobs whose instant has come, now. A recurring job whose enqueue fails is
     * tried again next round, and the rest of this round reads past it: recurring jobs that keep failing (a type
     * whose handler was removed) cannot hold up the others.
     * @return how many instants this call moved recurring jobs past (run or skipped)
     */
    public int fireDue() {
        int moved = 0;
        Set<String> failed = new HashSet<>();
        for (int batch = 0; batch < MAX_BATCHES; batch++) {
            Instant now = this.clock.instant();
            List<RecurringJob> due = this.store.due(now, BATCH + failed.size());
            int tried = 0;
            for (RecurringJob job : due) {
                if (failed.contains(job.id())) {
                    continue;
                }
                tried++;
                if (fire(job, now)) {
                    moved++;
                }
                else {
                    failed.add(job.id());
                }
            }
            if (tried == 0) {
                break;
            }
        }
        return moved;
    }

    private boolean fire(RecurringJob job, Instant now) {
        Instant at = job.nextRunAt();
        boolean missed = Duration.between(at, now).compareTo(this.misfireThreshold) > 0;
        Instant following;
        try {
            if (!missed) {
                this.queue.enqueueOccurrence(job, at);
                following = job.schedule().nextAfter(at);
            }
            else {
                if (job.misfirePolicy() == MisfirePolicy.RUN_ONCE) {
                    this.queue.enqueueOccurrence(job, at);
                }
                following = job.schedule().firstAfter(at, now);
                logger.info("Recurring job '{}' missed its instants from {} to {}: {}, next at {}", job.id(), at, now,
                        (job.misfirePolicy() == MisfirePolicy.RUN_ONCE) ? "ran once" : "skipped", following);
            }
        }
        catch (RuntimeException ex) {
            logger.warn("Could not enqueue the job of recurring job '{}' for {}; trying again in {}", job.id(), at,
                    this.pollInterval, ex);
            return false;
        }
        return this.store.advance(job.id(), at, following);
    }

    private CompletionStage<?> round() {
        return CompletableFuture.runAsync(() -> {
            try {
                fireDue();
            }
            catch (RuntimeException ex) {
                logger.warn("Could not look for due recurring jobs; trying again in {}", this.pollInterval, ex);
            }
            finally {
                synchronized (this.lock) {
                    this.next = null;
                    if (!this.closed) {
                        this.next = this.scheduler.schedule(this.clock.instant().plus(this.pollInterval), this::round);
                    }
                }
            }
        }, (task) -> Thread.ofVirtual().name("quark-jobs-recurring").start(task));
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
     * Stops looking for due recurring jobs.
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
        return "RecurringJobScheduler[" + this.store + ", every " + this.pollInterval + "]";
    }
}
