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
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicLong;

import dev.quark.jobs.Job;
import dev.quark.jobs.JobId;
import dev.quark.jobs.JobVetoedException;
import dev.quark.jobs.MisfirePolicy;
import dev.quark.jobs.OverlapPolicy;
import dev.quark.jobs.RecurringJob;
import dev.quark.jobs.store.RecurringJobStore;
import dev.quark.lease.LeaseKeeper;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Enqueues the jobs of recurring jobs whose scheduled instant has come, every poll interval. Every node may run one:
 * an instant's job is enqueued and the recurring job moved on to its next instant in one atomic step of the store
 * ({@link RecurringJobStore#fire}), taken only if the recurring job's next instant and last occurrence are still the
 * ones this node read; so nodes that race enqueue it once, a node that stops midway leaves nothing half done, and a
 * node that read the recurring job before a long pause (longer than the jobs' retention, whose purge frees the
 * instant's idempotency key) enqueues nothing.
 * <p>
 * <b>Overlaps.</b> When an instant comes while the job of the previous occurrence is still pending or running,
 * {@link OverlapPolicy#SKIP} moves on without enqueuing (logged, counted by {@link #skippedForOverlap} and the queue's {@link JobMetrics#skippedForOverlap}),
 * {@link OverlapPolicy#QUEUE_ONE} leaves the instant waiting until that job finishes and then enqueues it (the
 * instants meanwhile are skipped), {@link OverlapPolicy#ALLOW} enqueues it anyway. The previous job is read before
 * the atomic step, which requires the last occurrence to be the one read: a job once finished stays finished (until
 * requeued from the dead letters by hand), so the check holds when the step is taken.
 * <p>
 * <b>Filters.</b> An instant's job goes through the {@link dev.quark.jobs.JobFilter}s' {@code beforeEnqueue} on this
 * scheduler's thread, which has no caller's context (no MDC of a request, no tenant, no current span). A filter may
 * change its payload, metadata and due time; not its idempotency key, which names the instant, so the instant is
 * still enqueued once across nodes. A veto skips the instant: nothing is enqueued and the recurring job moves on to
 * its next instant (logged naming the filter and the reason, the first veto of each recurring job on a node at WARN
 * as filters written before they saw these jobs veto them by mistake, the later ones at INFO; counted by
 * {@link #skippedForVeto} and the queue's {@link JobMetrics#skippedForVeto}). The filters run on every node that
 * looks at the instant, also on those that then lose the race to enqueue it, and again when its enqueue failed and
 * is tried next round.
 * <p>
 * <b>Failures.</b> A recurring job whose look fails, for an exception or an error (an {@code AssertionError}, a
 * {@code NoClassDefFoundError}; not a {@link VirtualMachineError}), is logged naming it (an error at ERROR) and tried
 * again next round; the rest of the round goes on.
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

    private final AtomicLong skippedForOverlap = new AtomicLong();

    private final AtomicLong skippedForVeto = new AtomicLong();

    /** The recurring jobs whose instant a filter vetoed on this node, logged at WARN the first time only. */
    private final Set<String> warnedOfVeto = ConcurrentHashMap.newKeySet();

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
     * Enqueues the jobs of the recurring jobs whose instant has come, now. A recurring job whose enqueue fails, whose
     * instant waits for its previous occurrence ({@link OverlapPolicy#QUEUE_ONE}) or that another node moved on
     * meanwhile is looked at again next round, and the rest of this round reads past it: recurring jobs that keep
     * failing (a type whose handler was removed) or waiting cannot hold up the others.
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
                if (fire(job, now) == Fired.MOVED) {
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

    /** What one look at a due recurring job did. */
    private enum Fired {

        /** The instant was enqueued, or skipped, and the recurring job moved on. */
        MOVED,

        /** Another node had moved the recurring job on, deleted or redefined it; this node did nothing. */
        LOST,

        /** The instant waits for the previous occurrence ({@link OverlapPolicy#QUEUE_ONE}); looked at next round. */
        WAITING,

        /** The enqueue failed; tried again next round. */
        FAILED
    }

    private Fired fire(RecurringJob job, Instant now) {
        Instant at = job.nextRunAt();
        try {
            Job previous = runningPrevious(job);
            if (previous != null) {
                if (job.overlapPolicy() == OverlapPolicy.QUEUE_ONE) {
                    logger.debug("Recurring job '{}' waits with its instant {}: its previous job {} is {}", job.id(), at,
                            previous.id(), previous.status());
                    return Fired.WAITING;
                }
                Instant following = job.schedule().firstAfter(at, now);
                logger.info("Recurring job '{}' skipped its instant {}: its previous job {} is {}; next at {}", job.id(),
                        at, previous.id(), previous.status(), following);
                if (!this.store.advance(job.id(), at, following)) {
                    return Fired.LOST;
                }
                this.skippedForOverlap.incrementAndGet();
                this.queue.metrics().skippedForOverlap(job.id(), job.type());
                return Fired.MOVED;
            }
            if (waitedForPrevious(job, at)) {
                // QUEUE_ONE: the instant waited for the previous run, which has finished; the ones meanwhile are skipped.
                return occur(job, at, job.schedule().firstAfter(at, now));
            }
            boolean missed = Duration.between(at, now).compareTo(this.misfireThreshold) > 0;
            if (!missed) {
                return occur(job, at, job.schedule().nextAfter(at));
            }
            Instant following = job.schedule().firstAfter(at, now);
            logger.info("Recurring job '{}' missed its instants from {} to {}: {}, next at {}", job.id(), at, now,
                    (job.misfirePolicy() == MisfirePolicy.RUN_ONCE) ? "runs once" : "skipped", following);
            if (job.misfirePolicy() == MisfirePolicy.RUN_ONCE) {
                return occur(job, at, following);
            }
            return moved(this.store.advance(job.id(), at, following));
        }
        catch (RuntimeException ex) {
            logger.warn("Could not enqueue the job of recurring job '{}' for {}; trying again in {}", job.id(), at,
                    this.pollInterval, ex);
            return Fired.FAILED;
        }
        catch (VirtualMachineError error) {
            throw error;
        }
        catch (Error error) {
            // An AssertionError, a NoClassDefFoundError: fails this recurring job alone, as an exception does, loudly.
            logger.error("Recurring job '{}' failed at its instant {}; the other recurring jobs go on, and it is "
                    + "tried again in {}", job.id(), at, this.pollInterval, error);
            return Fired.FAILED;
        }
    }

    /**
     * Enqueues the instant's job and moves the recurring job on, or, when a filter vetoes the job, only moves it on.
     */
    private Fired occur(RecurringJob job, Instant at, Instant next) {
        try {
            return moved(this.queue.fireOccurrence(job, at, next));
        }
        catch (JobVetoedException ex) {
            if (this.warnedOfVeto.add(job.id())) {
                logger.warn("Recurring job '{}' skipped its instant {}: {}; next at {}. Job filters see the jobs of "
                        + "recurring jobs, and {} vetoes them: a filter lets them through by checking "
                        + "JobDraft.recurringJob() (logged at WARN once per recurring job on this node, then at INFO)",
                        job.id(), at, ex.getMessage(), next, ex.getFilter());
            }
            else {
                logger.info("Recurring job '{}' skipped its instant {}: {}; next at {}", job.id(), at, ex.getMessage(),
                        next);
            }
            if (!this.store.advance(job.id(), at, next)) {
                return Fired.LOST;
            }
            this.skippedForVeto.incrementAndGet();
            this.queue.metrics().skippedForVeto(job.id(), job.type());
            return Fired.MOVED;
        }
    }

    private static Fired moved(boolean moved) {
        return moved ? Fired.MOVED : Fired.LOST;
    }

    /**
     * Returns the job of the recurring job's last occurrence if its overlap policy cares and it is still pending or
     * running. A job gone (purged) counts as finished.
     */
    private @Nullable Job runningPrevious(RecurringJob job) {
        JobId last = job.lastJobId();
        if (job.overlapPolicy() == OverlapPolicy.ALLOW || last == null) {
            return null;
        }
        return this.queue.find(last).filter((previous) -> !previous.status().isFinished()).orElse(null);
    }

    private boolean waitedForPrevious(RecurringJob job, Instant at) {
        JobId last = job.lastJobId();
        if (job.overlapPolicy() != OverlapPolicy.QUEUE_ONE || last == null) {
            return false;
        }
        Instant finished = this.queue.find(last).map(Job::finishedAt).orElse(null);
        return finished != null && finished.isAfter(at);
    }

    /**
     * Returns how many instants this node skipped because the previous occurrence's job still ran
     * ({@link OverlapPolicy#SKIP}), since it was created.
     * @return the count
     */
    public long skippedForOverlap() {
        return this.skippedForOverlap.get();
    }

    /**
     * Returns how many instants this node skipped because a filter vetoed their job, since it was created.
     * @return the count
     */
    public long skippedForVeto() {
        return this.skippedForVeto.get();
    }

    private CompletionStage<?> round() {
        return CompletableFuture.runAsync(() -> {
            try {
                fireDue();
            }
            catch (RuntimeException ex) {
                logger.warn("Could not look for due recurring jobs; trying again in {}", this.pollInterval, ex);
            }
            catch (Throwable error) {
                // Logged here: the stage's own failure is seen by no one.
                logger.error("Could not look for due recurring jobs; trying again in {}", this.pollInterval, error);
                if (error instanceof VirtualMachineError fatal) {
                    throw fatal;
                }
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
