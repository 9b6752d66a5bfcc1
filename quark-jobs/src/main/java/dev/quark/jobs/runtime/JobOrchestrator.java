package dev.quark.jobs.runtime;

import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BiFunction;
import java.util.function.LongSupplier;
import java.util.random.RandomGenerator;

import dev.quark.jobs.Job;
import dev.quark.jobs.JobId;
import dev.quark.jobs.store.Claim;
import dev.quark.jobs.store.ClaimedJob;
import dev.quark.jobs.store.JobLeases;
import dev.quark.jobs.store.JobOutcome;
import dev.quark.jobs.store.JobReport;
import dev.quark.jobs.store.JobStore;
import dev.quark.jobs.store.JobTransition;
import dev.quark.lease.Lease;
import dev.quark.lease.LeaseKeeper;
import dev.quark.lease.LeaseLoss;
import dev.quark.lease.LeaseLostException;
import dev.quark.lease.LeaseStore;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The workers of one node: claims due jobs from the {@link JobStore} and runs them, each attempt on a virtual thread
 * of its own, at most {@code workers} at once and at most each handler's {@code maxConcurrency} of a type.
 * <p>
 * <b>Claiming.</b> It polls every {@code pollInterval}, at once when the local queue enqueues a job or another node's
 * does ({@link #jobsDue}, from a PostgreSQL notification or a Redis message), and again
 * whenever an attempt ends or a poll filled every free worker. Jobs that become due later (delayed, or retried after
 * a backoff) are claimed when they come due rather than at the next poll: one timer per node waits for the earliest
 * due time it knows of before the next poll, learnt from its own enqueues and retries, from other nodes' notices
 * ({@link #jobDueLater}, {@link #noticeHeard}) and, after each poll tick and each such wake-up, from the store
 * ({@link JobStore#nextDueAfter}, for the types with room, from the instant the poll started); an earlier due time
 * replaces it, a later one waits for the tick's look. Wake-ups are at least {@link #wakeUpGap} apart. A claim is
 * for the free workers and up to
 * {@code prefetch} jobs more, which wait leased in a local queue, in claim order, until a worker frees; while jobs
 * wait or every worker is busy, a claim is made only once half the prefetch is free, so that each round trip brings a
 * batch. Unless set, the prefetch is sized as claims land from the jobs the workers finish per second and a claim's
 * round trip ({@link AdaptivePrefetch}): one job or so with long jobs, up to {@code maxPrefetch} with a backlog of
 * short ones. A type with a concurrency limit is never claimed beyond it. A claim acquires the jobs' leases through a
 * {@link LeaseKeeper} of its own, which renews them while the jobs run (its heartbeat); with a store that keeps the
 * leases in its records ({@link JobStore#leaseStore()}, PostgreSQL and Redis) the claim grants them itself and the keeper only
 * renews them there, and a recorded outcome frees the lease without a release; every
 * {@code abandonedCheckInterval} it also takes over running jobs whose lease is free, because the worker that ran
 * them stopped renewing it (at-least-once: such a job runs again, its lost attempt counted as a failed one).
 * <p>
 * <b>An attempt</b> ends with the handler ({@code SUCCEEDED}, or a failure that the handler's {@code RetryPolicy}
 * turns into {@code RETRYING} with a backoff or {@code DEAD_LETTERED} with the error), with its timeout (the
 * handler's thread is interrupted and the attempt fails), with the loss of the lease (the keeper could not renew it
 * in time: the handler's thread is interrupted and nothing is written, since another worker may own the job), or
 * with the shutdown. Every write carries the lease's fencing token. Outcomes that end while another is being written
 * are written together next, in one {@link JobStore#finishAll} ({@link OutcomeWriter}), behind the workers: a
 * worker's slot goes to the next job once the handler returned, while the job stays held until its outcome is
 * written ({@link #handlerReturned}).
 * <p>
 * <b>Shutdown</b> ({@link #close()}) stops claiming, gives back the prefetched jobs (their attempt not counted),
 * waits up to {@code shutdownTimeout} for the running attempts,
 * then interrupts the rest and gives their jobs back ({@code ENQUEUED}, the attempt not counted), and releases every
 * lease.
 * <p>
 * Time comes from the injected {@link Clock} and timed work (polls, timeouts, lease renewals) from a
 * {@link LeaseKeeper.Scheduler}, so that tests run it in virtual time with the test kit's {@code ManualClock} and
 * {@code ManualScheduler}; the handlers themselves run on real threads. The adaptive prefetch times claims and counts
 * jobs per second with a monotonic tick source instead ({@link System#nanoTime()} unless set), which a step of the
 * wall clock does not move.
 */
public final class JobOrchestrator implements JobEvents, AutoCloseable {

    private static final Logger logger = LoggerFactory.getLogger(JobOrchestrator.class);

    private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

    /**
     * How long after a wake-up from another node ({@link #jobsDue} with types) whose claim rounds left room free the
     * workers poll once more. The job may not have been claimable yet: a job given back or retried at once is
     * published by the outcome's write, before the worker that ran it releases its lease, and the clocks of two
     * nodes differ by a millisecond or two, so that a job enqueued due now on one may not be due yet on the other.
     */
    static final Duration WAKE_UP_POLL_AGAIN = Duration.ofMillis(100);

    /** The least {@link #wakeUpGap}. */
    static final Duration MIN_WAKE_UP_GAP = Duration.ofMillis(50);

    /** How many claims one poll makes at most before it leaves the rest to the next poll. */
    private static final int MAX_CLAIMS_PER_POLL = 100;

    /**
     * How many claims run at once at most: a slot that frees while a claim runs is claimed by a second one rather than
     * waiting for the first, so that the claims' round trips overlap instead of setting the rate.
     */
    private static final int MAX_CONCURRENT_CLAIMS = 2;

    private final JobStore store;

    private final JobHandlerRegistry handlers;

    private final JobPayloadCodec codec;

    private final String owner;

    private final int workers;

    /**
     * How many claimed jobs may wait for a free worker at most, leased: the prefetch. Fixed when set, else sized by
     * {@link #adaptive} as each claim lands and before each claim is sized; guarded by {@link #lock}. A shrink drops none of the jobs waiting: they
     * run, and no claim is made until the room is back.
     */
    private int prefetch;

    /**
     * How many jobs a claim is for at least while claimed jobs wait or every worker is busy: half the prefetch, so
     * that one round trip brings a batch rather than the one slot that freed; guarded by {@link #lock}.
     */
    private int refill;

    /** Sizes the prefetch when none is set; {@code null} when it is set (fixed). */
    private final @Nullable AdaptivePrefetch adaptive;

    /** A ceiling of the adaptive prefetch set beside a fixed prefetch, which ignores it: warned of at start. */
    private final @Nullable Integer ignoredMaxPrefetch;

    private final Duration pollInterval;

    private final Duration abandonedCheckInterval;

    private final Duration shutdownTimeout;

    private final int logLimit;

    private final Clock clock;

    /** Monotonic nanoseconds that time the claims' round trips and the rate of the adaptive prefetch. */
    private final LongSupplier ticker;

    private final LeaseKeeper.Scheduler scheduler;

    private final @Nullable ScheduledExecutorService ownScheduler;

    private final JobMetrics metrics;

    private final JobFilters filters;

    private final JobOutcomeListener outcomeListener;

    private final RandomGenerator random;

    private final ThreadFactory threads;

    /** Makes the threads the attempts run on: {@link #threads} unless a test sets them. */
    private final ThreadFactory attemptThreads;

    /**
     * Whether the last attempt could not start (its thread could not be started, or an {@link Error} was thrown before
     * it started): until one starts again, only the poll interval claims, not the end of an attempt or the release of
     * a lease given back, so that the node does not claim, fail and give back in a loop.
     */
    private volatile boolean attemptsFailingToStart;

    private final LeaseKeeper keeper;

    private final OutcomeWriter outcomes;

    private final UnwrittenOutcomes unwritten;

    /** Whether the store keeps the jobs' leases in its own records ({@link JobStore#leaseStore()}). */
    private final boolean leasesInStore;

    private final Object lock = new Object();

    private final Map<JobId, JobExecution> running = new HashMap<>();

    /**
     * The attempts whose handler returned and whose outcome is being written ({@link #handlerReturned}): their
     * worker's slot is free for the next job, and up to {@code workers + prefetch} of them leave the room of the claims
     * free too (more count against it, {@link #claimSize(int)}); they are held jobs, and {@link #runningJobs()} lists
     * them until their outcome is written.
     */
    private final Map<JobId, JobExecution> writing = new HashMap<>();

    private final Map<String, Integer> runningByType = new HashMap<>();

    /** Claimed jobs waiting for a free worker, their leases kept; guarded by {@link #lock}. */
    private final PrefetchQueue ready = new PrefetchQueue();

    /**
     * Waiting jobs whose lease was lost, until their give-back is written: still held, so that no claim of this node
     * takes one over meanwhile (as abandoned, its never-run attempt counted); guarded by {@link #lock}.
     */
    private final Set<JobId> givingBack = new HashSet<>();

    /** Leases of ended attempts waiting for {@link #releasePending()}, guarded by {@link #lock}. */
    private final List<Lease> toRelease = new ArrayList<>();

    private boolean releasing;

    private State state = State.NEW;

    /** Completes when the running poll loops have all ended; {@code null} while none runs. */
    private @Nullable CompletableFuture<Void> poll;

    private boolean pollAgain;

    /**
     * How many claim rounds were asked for ({@link #poll()}) so far. A claim that claimed less than it reserved goes
     * round again when one was asked for while it ran: its reservation may have hidden from that request the room it
     * was for (a slot freed meanwhile), and the request's own round may have seen none.
     */
    private long requests;

    /** Poll loops running, at most {@link #MAX_CONCURRENT_CLAIMS}. */
    private int loops;

    /** Slots the claims in flight may fill, not yet counted as running. */
    private int reserved;

    /** Slots of each type the claims in flight may fill. */
    private final Map<String, Integer> reservedByType = new HashMap<>();

    private boolean cancellationCheckDue;

    private LeaseKeeper.Scheduler.@Nullable Cancellable tick;

    /** When the {@link #tick} fires. */
    private @Nullable Instant tickAt;

    /** The one timer that claims when a job comes due before the next tick ({@link #wakeAt}); {@code null} when none. */
    private LeaseKeeper.Scheduler.@Nullable Cancellable wakeUp;

    /** When {@link #wakeUp} fires. */
    private @Nullable Instant wakeUpAt;

    /** When the wake-up last fired; the next one waits at least {@link #wakeUpGap} after it. */
    private @Nullable Instant lastWakeUp;

    /** The least time between two wake-ups, so that wake-ups never follow each other at round-trip speed. */
    private final Duration wakeUpGap;

    /** Whether a look at the store's next due time waits for its poll or runs ({@link #pollAndLookAhead}). */
    private boolean lookPending;

    /** Whether a look was asked for while one was pending: the pending one, once done, polls and looks once more. */
    private boolean lookAgain;

    /**
     * Whether the last look left types out because they had no room; an attempt that frees room for one of them then
     * looks ({@link #lookWanted}).
     */
    private boolean lookSkipped;

    /** The types the last look asked about (those with room then); what {@link #lookWanted} compares with. */
    private Set<String> lookedFor = Set.of();

    private @Nullable Instant nextAbandonedCheck;

    private JobOrchestrator(Builder builder) {
        this.store = builder.store;
        this.handlers = builder.handlers;
        this.codec = builder.codec;
        this.owner = (builder.owner != null) ? builder.owner : defaultOwner();
        this.workers = builder.workers;
        Integer fixed = builder.prefetch;
        if (fixed != null) {
            this.adaptive = null;
            this.prefetch = fixed;
            this.ignoredMaxPrefetch = builder.maxPrefetch;
        }
        else {
            Integer ceiling = builder.maxPrefetch;
            AdaptivePrefetch adaptive = new AdaptivePrefetch(builder.workers,
                    (ceiling != null) ? ceiling : AdaptivePrefetch.defaultCeiling(builder.workers));
            this.adaptive = adaptive;
            this.prefetch = adaptive.current();
            this.ignoredMaxPrefetch = null;
        }
        this.refill = refill(this.prefetch);
        this.pollInterval = builder.pollInterval;
        this.wakeUpGap = wakeUpGap(builder.pollInterval);
        this.abandonedCheckInterval = (builder.abandonedCheckInterval != null) ? builder.abandonedCheckInterval
                : builder.leaseDuration;
        this.shutdownTimeout = builder.shutdownTimeout;
        this.logLimit = builder.logLimit;
        this.clock = builder.clock;
        this.ticker = builder.ticker;
        this.metrics = builder.metrics;
        this.filters = builder.filters;
        this.outcomeListener = builder.outcomeListener;
        this.random = builder.random;
        if (builder.scheduler != null) {
            this.scheduler = builder.scheduler;
            this.ownScheduler = null;
        }
        else {
            this.ownScheduler = Executors.newSingleThreadScheduledExecutor(
                    Thread.ofPlatform().name("quark-jobs-timer-", 0).daemon().factory());
            this.scheduler = LeaseKeeper.Scheduler.of(this.clock, this.ownScheduler);
        }
        this.threads = Thread.ofVirtual().name("quark-job-", 0).factory();
        this.attemptThreads = (builder.attemptThreads != null) ? builder.attemptThreads : this.threads;
        this.outcomes = new OutcomeWriter(builder.store);
        LeaseStore leaseStore = builder.store.leaseStore().orElse(builder.leaseStore);
        this.leasesInStore = builder.store.leaseStore().isPresent();
        LeaseKeeper.Builder keeper = LeaseKeeper.builder(leaseStore, this.owner)
            .duration(builder.leaseDuration)
            .clock(this.clock)
            .scheduler(this.scheduler)
            .listener(this::leaseLost);
        if (builder.renewEvery != null) {
            keeper.renewEvery(builder.renewEvery);
        }
        this.keeper = keeper.build();
        this.unwritten = new UnwrittenOutcomes(this.outcomes, this.scheduler, this.clock,
                (task) -> this.threads.newThread(task).start(), builder.leaseDuration,
                (lease) -> this.keeper.lease(lease.resource()).filter(lease::isSameLease).isPresent());
    }

    /**
     * Starts building an orchestrator.
     * @param store where the jobs are
     * @param leaseStore where their leases are: the same backend as the store, shared by every node; not used when
     * the store keeps the leases in its own records ({@link JobStore#leaseStore()}), whose lease store is used then
     * @param handlers the handlers; only their types are claimed
     * @param codec reads payloads
     * @return the builder
     */
    public static Builder builder(JobStore store, LeaseStore leaseStore, JobHandlerRegistry handlers, JobPayloadCodec codec) {
        return new Builder(store, leaseStore, handlers, codec);
    }

    /**
     * Returns an owner name for this process: its host name and process id, and a random suffix so that two
     * orchestrators in one process differ.
     * @return for instance {@code app-7f9c-12345-a1b2}
     */
    public static String defaultOwner() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        }
        catch (Exception ex) {
            host = "localhost";
        }
        String pid = Long.toString(ProcessHandle.current().pid());
        String suffix = Integer.toHexString(ThreadLocalRandom.current().nextInt(0x10000));
        String owner = host + "-" + pid + "-" + suffix;
        return (owner.length() <= 255) ? owner : owner.substring(owner.length() - 255);
    }

    /**
     * Starts claiming jobs.
     * @throws IllegalStateException when it was started or closed before
     */
    public void start() {
        synchronized (this.lock) {
            if (this.state != State.NEW) {
                throw new IllegalStateException("JobOrchestrator '" + this.owner + "' is " + this.state.name()
                    .toLowerCase(Locale.ROOT) + "; it starts once");
            }
            this.state = State.RUNNING;
            this.nextAbandonedCheck = this.clock.instant();
            armTick();
        }
        logger.debug("Job orchestrator '{}' started: {} workers, types {}", this.owner, this.workers, this.handlers.types());
        if (this.ignoredMaxPrefetch != null) {
            logger.warn("Job orchestrator '{}' has its prefetch set ({}): its max-prefetch ({}) bounds only the "
                    + "adaptive prefetch, used when none is set, and is ignored", this.owner, this.prefetch,
                    this.ignoredMaxPrefetch);
        }
        pollAndLookAhead();
    }

    /**
     * Returns whether it claims jobs.
     * @return whether it was started and not closed
     */
    public boolean isRunning() {
        synchronized (this.lock) {
            return this.state == State.RUNNING;
        }
    }

    /**
     * Returns the owner of its leases, the worker name jobs record.
     * @return the owner
     */
    public String owner() {
        return this.owner;
    }

    /**
     * Returns the jobs it runs now.
     * @return their ids
     */
    public Set<JobId> runningJobs() {
        synchronized (this.lock) {
            Set<JobId> jobs = new HashSet<>(this.running.keySet());
            // Their handler returned, their outcome not yet written: the attempt has not ended.
            jobs.addAll(this.writing.keySet());
            return Set.copyOf(jobs);
        }
    }

    /**
     * Returns the jobs it claimed ahead that wait for a free worker, their leases kept.
     * @return their ids
     */
    public Set<JobId> prefetchedJobs() {
        synchronized (this.lock) {
            return Set.copyOf(this.ready.ids());
        }
    }

    /**
     * Returns how many jobs it may claim ahead of its free workers now: the prefetch set, or the one sized from the
     * jobs its workers finish per second and the claims' round trip when none was set ({@link AdaptivePrefetch}).
     * @return zero or more
     */
    public int prefetch() {
        synchronized (this.lock) {
            return this.prefetch;
        }
    }

    /**
     * Returns whether a claim is in flight or about to be made: a poll loop runs (started, say, by a worker that freed,
     * before it reserved its claim's room), or a claim's room is reserved and its jobs not yet queued. For tests that
     * move a ticker of their own, and must not move it across a claim's round trip.
     */
    boolean claimInFlight() {
        synchronized (this.lock) {
            return this.poll != null || this.reserved > 0;
        }
    }

    private static int refill(int prefetch) {
        return Math.max(1, prefetch / 2);
    }

    /**
     * Takes a claim that landed as a sample of the adaptive prefetch, when it is adaptive: its round trip is timed from
     * its reservation. Called holding the lock.
     */
    private void resize(Reservation reservation) {
        AdaptivePrefetch adaptive = this.adaptive;
        if (adaptive == null) {
            return;
        }
        long landed = this.ticker.getAsLong();
        resize(adaptive.claimLanded(landed, landed - reservation.reservedAt));
    }

    /**
     * Sizes the adaptive prefetch, when it is adaptive, with the jobs finished since its last sample, right before a
     * claim is sized from it ({@link AdaptivePrefetch#refresh}). Called holding the lock.
     */
    private void refreshPrefetch() {
        AdaptivePrefetch adaptive = this.adaptive;
        if (adaptive != null) {
            resize(adaptive.refresh(this.ticker.getAsLong()));
        }
    }

    private void resize(int size) {
        if (size != this.prefetch) {
            this.prefetch = size;
            this.refill = refill(size);
        }
    }

    /**
     * Returns the least time between two wake-ups: a twentieth of the poll interval, at least 50 ms.
     * @param pollInterval the poll interval
     * @return the gap
     */
    static Duration wakeUpGap(Duration pollInterval) {
        Duration share = pollInterval.dividedBy(20);
        return (share.compareTo(MIN_WAKE_UP_GAP) > 0) ? share : MIN_WAKE_UP_GAP;
    }

    @Override
    public void enqueued(Job job) {
        jobDueLater(job.type(), job.dueAt());
    }

    /**
     * A job of a type this node enqueued or retried becomes due at an instant: when this node runs the type, polls at
     * once if it is due, else makes the node's one wake-up timer fire then, unless it fires earlier or the next poll
     * tick comes first.
     * @param type the job's type
     * @param dueAt when it becomes due
     */
    void jobDueLater(String type, Instant dueAt) {
        dueAt(type, dueAt, false);
    }

    /**
     * Another node's notice says a job of a type becomes due at an instant ({@link dev.quark.jobs.store.JobDueNotice}):
     * as {@link #jobDueLater}, except that a due time already past (a slow commit, clocks apart) polls and then looks
     * at the store's next due time, since the notices of the later jobs of the type were held back for this one
     * ({@link dev.quark.jobs.store.internal.LaterDueNotices}).
     * @param type the job's type
     * @param dueAt when it becomes due
     */
    void noticeHeard(String type, Instant dueAt) {
        dueAt(type, dueAt, true);
    }

    private void dueAt(String type, Instant dueAt, boolean lookWhenDue) {
        if (this.handlers.find(type).isEmpty()) {
            return;
        }
        if (dueAt.isAfter(this.clock.instant())) {
            wakeAt(dueAt);
        }
        else if (lookWhenDue) {
            pollAndLookAhead();
        }
        else {
            poll();
        }
    }

    /**
     * Arms the wake-up timer for an instant, or for {@link #wakeUpGap} after the last wake-up when that is later,
     * unless it or the tick fires by then.
     */
    private void wakeAt(Instant due) {
        synchronized (this.lock) {
            Instant at = (this.lastWakeUp != null && due.isBefore(this.lastWakeUp.plus(this.wakeUpGap)))
                    ? this.lastWakeUp.plus(this.wakeUpGap) : due;
            if (this.state != State.RUNNING || (this.wakeUpAt != null && !at.isBefore(this.wakeUpAt))
                    || (this.tickAt != null && !at.isBefore(this.tickAt))) {
                return;
            }
            if (this.wakeUp != null) {
                this.wakeUp.cancel();
            }
            try {
                this.wakeUp = this.scheduler.schedule(at, () -> wokenUp(at));
                this.wakeUpAt = at;
            }
            catch (RuntimeException ex) {
                // Closed meanwhile (its scheduler stopped): nothing to claim for.
                this.wakeUp = null;
                this.wakeUpAt = null;
                logger.debug("Job orchestrator '{}' could not arm its wake-up for {}", this.owner, at, ex);
            }
        }
    }

    private CompletionStage<?> wokenUp(Instant at) {
        synchronized (this.lock) {
            if (at.equals(this.wakeUpAt)) {
                this.wakeUp = null;
                this.wakeUpAt = null;
            }
            this.lastWakeUp = this.clock.instant();
        }
        return pollAndLookAhead();
    }

    /**
     * Polls, then asks the store when the next job of this node's types that have room comes due after the instant
     * the poll started ({@link JobStore#nextDueAfter}; the claims of the poll used that instant or a later one, so a
     * job due in between is either claimed or found) and arms the wake-up for it, or for now when it is due already.
     * The look runs on a thread of its own, never the scheduler's; while one waits for its poll or runs, no other is
     * added, so that polls stalled behind a slow store do not pile up looks: the pending one polls and looks once more
     * when it is done, for the work written meanwhile.
     */
    private CompletionStage<Void> pollAndLookAhead() {
        Instant since = this.clock.instant();
        CompletionStage<Void> polled = poll();
        synchronized (this.lock) {
            if (this.state != State.RUNNING) {
                return polled;
            }
            if (this.lookPending) {
                this.lookAgain = true;
                return polled;
            }
            this.lookPending = true;
        }
        polled.whenComplete((ignored, ex) -> {
            try {
                this.threads.newThread(() -> lookAhead(since)).start();
            }
            catch (RuntimeException failure) {
                synchronized (this.lock) {
                    this.lookPending = false;
                }
                logger.debug("Job orchestrator '{}' could not look for the next due job", this.owner, failure);
            }
        });
        return polled;
    }

    /** Looks for the next due job; package-private for tests, which call it while a claim is held in flight. */
    void lookAhead(Instant since) {
        try {
            Set<String> types;
            synchronized (this.lock) {
                if (this.state != State.RUNNING) {
                    return;
                }
                types = typesWithRoom();
                this.lookSkipped = types.size() < this.handlers.types().size();
                this.lookedFor = types;
            }
            if (types.isEmpty()) {
                return;
            }
            Optional<Instant> next = this.store.nextDueAfter(types, since);
            synchronized (this.lock) {
                // A wake-up fired since this look's poll started: its own look, which follows, knows better. Checked
                // in the step that arms: a wake-up firing in between would otherwise make this look's stale answer (a
                // job its poll claimed) arm a needless wake-up a gap later, ahead of the one its own look arms.
                if (this.lastWakeUp != null && this.lastWakeUp.isAfter(since)) {
                    return;
                }
                next.ifPresent((due) -> {
                    Instant now = this.clock.instant();
                    wakeAt(due.isAfter(now) ? due : now);
                });
            }
        }
        catch (RuntimeException ex) {
            // The store cannot be reached: the poll, which warns, stays the safety net.
            logger.debug("Job orchestrator '{}' could not look for the next due job", this.owner, ex);
        }
        finally {
            boolean again;
            synchronized (this.lock) {
                this.lookPending = false;
                again = this.lookAgain;
                this.lookAgain = false;
            }
            if (again) {
                pollAndLookAhead();
            }
        }
    }

    /**
     * Returns the types a claim would be for once the claims in flight brought nothing: none while no claim is wanted
     * beside them, else those whose concurrency limit leaves room. A wake-up for any other type could claim nothing.
     * The room the claims in flight reserved counts as free: they may bring fewer jobs than they reserved room for,
     * and a look that found no room because of them would arm no wake-up, leaving a job due later to the next tick.
     * Called holding the lock.
     */
    private Set<String> typesWithRoom() {
        int free = claimSize(0);
        return (free <= 0) ? Set.of() : roomByType(free, Map.of()).keySet();
    }

    /** Returns the room each type has in a claim of {@code free} jobs. Called holding the lock. */
    private Map<String, Integer> roomByType(int free) {
        return roomByType(free, this.reservedByType);
    }

    private Map<String, Integer> roomByType(int free, Map<String, Integer> reservedByType) {
        Map<String, Integer> room = new HashMap<>();
        for (RegisteredJobHandler handler : this.handlers.handlers()) {
            int limit = handler.maxConcurrency();
            int left = (limit > 0) ? Math.min(free, limit - this.runningByType.getOrDefault(handler.type(), 0)
                    - this.ready.count(handler.type())
                    - reservedByType.getOrDefault(handler.type(), 0)) : free;
            if (left > 0) {
                room.put(handler.type(), left);
            }
        }
        return room;
    }

    /**
     * Jobs may have become due elsewhere (another node enqueued them, as a PostgreSQL notification or a Redis message
     * tells: {@link PostgresJobWakeUps}, {@link RedisJobWakeUps}): polls now,
     * once, when this node runs any of the types. A poll already running polls once more instead, so that a burst of
     * such calls costs at most one claim round more. When types are given and the claims left room free (fewer jobs
     * came than there was room for), it polls once more {@link #WAKE_UP_POLL_AGAIN 100 ms} later, once per call: the
     * job may not have been claimable yet (its lease not yet released by the worker that gave it back, or not yet due
     * by this node's clock).
     * @param types the types of the jobs; every type may be concerned when it is empty or holds {@code ""}
     */
    public void jobsDue(Collection<String> types) {
        if (types.isEmpty() || types.contains("")) {
            pollAndLookAhead();
        }
        else if (types.stream().anyMatch((type) -> this.handlers.find(type).isPresent())) {
            poll().whenComplete((ignored, ex) -> pollAgainWhenRoomLeft());
        }
    }

    /** Polls once more after {@link #WAKE_UP_POLL_AGAIN}, when the claims of a wake-up left room free. */
    private void pollAgainWhenRoomLeft() {
        synchronized (this.lock) {
            if (this.state != State.RUNNING || claimSize() <= 0) {
                return;
            }
        }
        try {
            this.scheduler.schedule(this.clock.instant().plus(WAKE_UP_POLL_AGAIN), this::poll);
        }
        catch (RuntimeException ex) {
            // Closed meanwhile (its scheduler stopped): nothing to claim for.
            logger.debug("Job orchestrator '{}' could not poll again after a wake-up", this.owner, ex);
        }
    }

    @Override
    public void cancellationRequested(JobId id) {
        JobExecution execution;
        synchronized (this.lock) {
            execution = this.running.get(id);
            if (execution == null) {
                this.ready.cancellationRequested(id);
            }
        }
        if (execution != null) {
            execution.context().requestCancellation();
        }
    }

    /**
     * Polls now: starts a poll loop unless two run already or no claim is wanted ({@link #claimSize()});
     * a running loop then polls once more.
     * @return completes when the running poll loops are done
     */
    public CompletionStage<Void> poll() {
        CompletableFuture<Void> done;
        synchronized (this.lock) {
            if (this.state != State.RUNNING) {
                return DONE;
            }
            this.requests++;
            if (this.poll != null && (this.loops >= MAX_CONCURRENT_CLAIMS || claimSize() <= 0)) {
                this.pollAgain = true;
                return this.poll;
            }
            if (this.poll == null) {
                this.poll = new CompletableFuture<>();
            }
            done = this.poll;
            this.loops++;
        }
        try {
            this.threads.newThread(() -> pollLoop(done)).start();
        }
        catch (RuntimeException ex) {
            synchronized (this.lock) {
                loopEnded();
            }
            logger.warn("Could not start a poll of '{}'", this.owner, ex);
            completeIfIdle(done);
        }
        return done;
    }

    private void pollLoop(CompletableFuture<Void> done) {
        boolean ended = false;
        try {
            long seen;
            synchronized (this.lock) {
                seen = this.requests;
            }
            for (int round = 1;; round++) {
                checkCancellationsWhenDue();
                boolean more;
                boolean reserved;
                try {
                    ClaimRound due = claimDue();
                    boolean abandoned = claimAbandonedWhenDue();
                    more = due == ClaimRound.FULL;
                    reserved = due != ClaimRound.NONE || abandoned;
                }
                catch (RuntimeException ex) {
                    if (isRunning()) {
                        logger.warn("Job orchestrator '{}' could not claim jobs; trying again in {}", this.owner,
                                this.pollInterval, ex);
                    }
                    more = false;
                    reserved = false;
                }
                boolean pending;
                synchronized (this.lock) {
                    // A request made while this round held room reserved may have found none: this loop serves it.
                    boolean hidden = reserved && this.requests != seen;
                    // Deciding to stop and letting the next poll start are one step, so that no request is lost.
                    if (this.state != State.RUNNING || (!more && !this.pollAgain && !hidden)) {
                        loopEnded();
                        ended = true;
                        return;
                    }
                    // At the cap a pending request is not dropped: a fresh poll serves it (the rest waits as before).
                    pending = this.pollAgain || hidden;
                    if (round == MAX_CLAIMS_PER_POLL) {
                        loopEnded();
                        ended = true;
                    }
                    else {
                        this.pollAgain = false;
                        seen = this.requests;
                    }
                }
                if (ended) {
                    if (pending) {
                        poll();
                    }
                    return;
                }
            }
        }
        finally {
            if (!ended) {
                synchronized (this.lock) {
                    loopEnded();
                }
            }
            completeIfIdle(done);
        }
    }

    /**
     * Counts a poll loop out; the last one lets the next poll start afresh. Called holding the lock.
     */
    private void loopEnded() {
        this.loops--;
        if (this.loops == 0) {
            this.poll = null;
            this.pollAgain = false;
        }
    }

    private void completeIfIdle(CompletableFuture<Void> done) {
        boolean idle;
        synchronized (this.lock) {
            idle = this.poll != done;
        }
        if (idle) {
            done.complete(null);
        }
    }

    /**
     * Returns how many jobs the next claim is for: the room left for running and waiting jobs beyond those running,
     * writing their outcome or keeping it unwritten, waiting and possibly brought by the claims in flight, once that room reaches {@link #refill} or a worker would
     * otherwise idle; 0 when no claim is wanted now. Called holding the lock.
     */
    private int claimSize() {
        return claimSize(this.reserved);
    }

    /**
     * As {@link #claimSize()}, with that much room reserved by the claims in flight. Called holding the lock.
     * <p>
     * Jobs whose outcome is being written do not count against the room, up to {@code workers + prefetch} of them:
     * their handlers returned, so holding room for them only made the claims wait for the outcomes' commits (a job held
     * its room through the commit of its claim and then of its outcome, and the room, not the database, set the rate).
     * Beyond that many they count, so that a store slow to write outcomes slows the claims down instead of letting
     * outcomes pile up: a node holds at most {@code workers + prefetch} jobs to run and as many more being written.
     */
    private int claimSize(int reserved) {
        int held = this.workers + this.prefetch;
        // Outcomes kept until the store answers (UnwrittenOutcomes) hold their jobs too, though their attempts ended.
        int room = held - this.running.size() - Math.max(0, this.writing.size() - held) - this.ready.size()
                - this.unwritten.size() - reserved;
        if (room <= 0) {
            return 0;
        }
        boolean workerIdle = this.ready.isEmpty() && this.running.size() < this.workers;
        return (room >= this.refill || workerIdle) ? room : 0;
    }

    /**
     * Returns the jobs this node holds, or gives back: running, waiting, and lost while waiting. Called holding the
     * lock.
     */
    private Set<JobId> heldJobs() {
        Set<JobId> held = new HashSet<>(this.running.keySet());
        held.addAll(this.writing.keySet());
        held.addAll(this.ready.ids());
        held.addAll(this.givingBack);
        // Ended here, their outcomes kept until the store answers: their leases may look expired in the store before
        // the keeper notices.
        held.addAll(this.unwritten.jobIds());
        return held;
    }

    private ClaimRound claimDue() {
        Claim claim = nextClaim(Set.of());
        if (claim == null) {
            return ClaimRound.NONE;
        }
        return (claim(this.store::claimDue, claim) == claim.max()) ? ClaimRound.FULL : ClaimRound.SHORT;
    }

    /**
     * Claims abandoned jobs when the check is due.
     * @return whether a claim was made (room was reserved for it)
     */
    private boolean claimAbandonedWhenDue() {
        Claim claim;
        synchronized (this.lock) {
            Instant now = this.clock.instant();
            if (this.nextAbandonedCheck == null || now.isBefore(this.nextAbandonedCheck) || claimSize() <= 0) {
                return false;
            }
            claim = nextClaim(heldJobs());
            if (claim == null) {
                return false;
            }
            // Only a check that claims moves the next one on: one found due while the node has no room (its workers
            // busy, or another poll loop's claim holding the room) stays due for the next round that has some, instead
            // of leaving abandoned jobs a whole check interval longer.
            this.nextAbandonedCheck = now.plus(this.abandonedCheckInterval);
        }
        claim(this.store::claimAbandoned, claim);
        return true;
    }

    /**
     * Returns the claim for the free room ({@link #claimSize()}), reserved for it until {@link #claim} ends, or
     * {@code null} when no claim is wanted. A type with a concurrency limit gets no more room than its limit leaves
     * beside its running, waiting and reserved jobs, so that none of its jobs waits here while other nodes could run
     * it.
     */
    private @Nullable Claim nextClaim(Set<JobId> excluded) {
        synchronized (this.lock) {
            refreshPrefetch();
            int free = claimSize();
            if (this.state != State.RUNNING || free <= 0) {
                return null;
            }
            Map<String, Integer> room = roomByType(free);
            if (room.isEmpty()) {
                return null;
            }
            Claim claim = new Claim(this.owner, free, room, excluded, this.clock.instant());
            this.reserved += claim.max();
            claim.room().forEach((type, size) -> this.reservedByType.merge(type, size, Integer::sum));
            return claim;
        }
    }

    /**
     * Makes a claim reserved by {@link #nextClaim} and starts the jobs claimed; the reservation ends when they land
     * ({@link #landed}), in the step that queues them, or when the claim fails.
     */
    private int claim(BiFunction<Claim, JobLeases, List<ClaimedJob>> operation, Claim claim) {
        Reservation reservation = new Reservation(claim);
        try {
            return claimReserved(operation, reservation);
        }
        finally {
            synchronized (this.lock) {
                reservation.end();
            }
        }
    }

    private int claimReserved(BiFunction<Claim, JobLeases, List<ClaimedJob>> operation, Reservation reservation) {
        Claim claim = reservation.claim;
        List<Lease> acquired = new ArrayList<>();
        JobLeases leases = new JobLeases() {

            @Override
            public List<Lease> acquire(List<JobId> candidates, int max) {
                List<Lease> granted = JobOrchestrator.this.keeper
                    .acquire(candidates.stream().map(JobLeases::resource).toList(), max);
                acquired.addAll(granted);
                return granted;
            }

            @Override
            public Duration duration() {
                return JobOrchestrator.this.keeper.duration();
            }
        };
        List<ClaimedJob> claimed;
        try {
            claimed = operation.apply(claim, leases);
        }
        catch (RuntimeException ex) {
            acquired.forEach(this::releaseLease);
            throw ex;
        }
        for (Lease lease : acquired) {
            if (claimed.stream().noneMatch((job) -> job.lease().isSameLease(lease))) {
                releaseLease(lease);
            }
        }
        if (!this.leasesInStore) {
            List<JobId> ungranted = claimed.stream()
                .filter((job) -> acquired.stream().noneMatch((lease) -> lease.isSameLease(job.lease())))
                .map((job) -> job.job().id())
                .toList();
            if (!ungranted.isEmpty()) {
                IllegalStateException ex = new IllegalStateException("Job store " + this.store.getClass().getName() + " claimed jobs "
                        + ungranted + " with leases that did not come through JobLeases.acquire, yet its leaseStore() "
                        + "is empty: a store whose claims grant the leases must return its lease store from "
                        + "leaseStore(); a JobStore wrapper must delegate leaseStore()");
                logger.error("Job orchestrator '{}' cannot run the jobs it claimed", this.owner, ex);
                throw ex;
            }
        }
        if (this.leasesInStore) {
            // Granted by the claim itself: kept from now on all in one step, or, when the keeper was closed
            // meanwhile, all released by it (and the acquired ones with it) and none started.
            try {
                this.keeper.keepAll(claimed.stream()
                    .map(ClaimedJob::lease)
                    .filter((granted) -> acquired.stream().noneMatch((lease) -> lease.isSameLease(granted)))
                    .toList());
            }
            catch (IllegalStateException ex) {
                logger.debug("Job orchestrator '{}' closed during a claim; gave back {} jobs", this.owner,
                        claimed.size(), ex);
                return 0;
            }
        }
        landed(claimed, reservation);
        return claimed.size();
    }

    /**
     * Takes the jobs a claim brought, their leases kept: queues them for the workers and starts as many as there are
     * free workers; a job without a handler here has its lease released, and while stopping the jobs are given back.
     * The claim's reservation ends in the step that queues them: counted both as reserved and as waiting, they would
     * hide room from the claims and wake-ups meanwhile.
     */
    private void landed(List<ClaimedJob> claimed, Reservation reservation) {
        List<ClaimedJob> known = new ArrayList<>(claimed.size());
        for (ClaimedJob job : claimed) {
            if (this.handlers.find(job.job().type()).isPresent()) {
                known.add(job);
            }
            else {
                logger.error("Claimed job {} of type '{}', which has no handler here; released for another worker",
                        job.job().id(), job.job().type());
                releaseLease(job.lease());
            }
        }
        boolean stopping;
        synchronized (this.lock) {
            reservation.end();
            resize(reservation);
            stopping = this.state != State.RUNNING;
            if (!stopping) {
                this.ready.addAll(known);
            }
        }
        if (stopping) {
            giveBack(known);
        }
        else {
            startReady();
        }
    }

    /**
     * Starts waiting jobs, in claim order, while a worker is free and their type has room.
     */
    private void startReady() {
        List<JobExecution> started = new ArrayList<>();
        synchronized (this.lock) {
            if (this.state != State.RUNNING) {
                return;
            }
            while (this.running.size() < this.workers) {
                PrefetchQueue.Next next = this.ready.next(this::mayStart);
                if (next == null) {
                    break;
                }
                ClaimedJob claimed = next.job();
                RegisteredJobHandler handler = this.handlers.find(claimed.job().type()).orElseThrow();
                Job job = claimed.job();
                ExecutionContext context = new ExecutionContext(job, claimed.lease(), this.store, this.clock,
                        this.logLimit);
                if (next.cancelled()) {
                    context.requestCancellation();
                }
                JobExecution execution = new JobExecution(this, claimed, handler, context);
                this.running.put(job.id(), execution);
                this.runningByType.merge(job.type(), 1, Integer::sum);
                started.add(execution);
            }
        }
        started.forEach(this::launch);
    }

    /**
     * Returns whether a waiting job's type is below its concurrency limit. Called holding the lock.
     */
    private boolean mayStart(ClaimedJob claimed) {
        int limit = this.handlers.find(claimed.job().type()).orElseThrow().maxConcurrency();
        return limit <= 0 || this.runningByType.getOrDefault(claimed.job().type(), 0) < limit;
    }

    /**
     * Runs an attempt registered as running on a thread of its own. Its lease is checked there, right before the
     * attempt starts ({@code JobExecution.start}): one lost since a worker took the job withdraws the attempt, and the
     * job, which never ran, is given back when the thread ends ({@link #ended}). A thread that cannot be started
     * (an {@link Error} too: no native thread left) withdraws it the same way; its slot is freed without polling at
     * once, so that a thread factory that keeps failing does not make the node claim, fail and give back in a loop:
     * the next poll is the next tick's.
     */
    private void launch(JobExecution execution) {
        try {
            this.attemptThreads.newThread(execution::run).start();
            this.attemptsFailingToStart = false;
        }
        catch (RuntimeException | Error ex) {
            this.attemptsFailingToStart = true;
            logger.error("Could not start a thread for job {}; given back unless another worker took it over",
                    execution.job().id(), ex);
            execution.withdraw();
            freeSlot(execution);
            startReady();
        }
    }

    /**
     * Returns whether the keeper still keeps a lease: not lost, released or expired.
     * @param lease the lease
     * @return whether it is kept
     */
    boolean keeps(Lease lease) {
        // Valid too: the keeper's expiry timer may run late, or not yet have run.
        Instant now = this.clock.instant();
        return this.keeper.lease(lease.resource())
            .filter((kept) -> kept.isSameLease(lease) && kept.isValidAt(now))
            .isPresent();
    }

    /**
     * Gives claimed jobs that never ran back to the queue ({@code ENQUEUED}, due now, the attempt not counted), in
     * one write ({@link JobStore#finishAll}), each job fenced by its lease; a job whose lease was lost is refused
     * alone, in the result. The write throws only when the store could not be reached: the jobs are then given back
     * one by one, stopping at the first that fails because the store cannot be reached (each further try would wait out
     * its timeout again, holding up the shutdown). A job that is not given back runs again once its lease is free, as
     * an abandoned attempt. The leases of the jobs given back (with a lease store of their own) and of those not given
     * back are released in one step.
     */
    private void giveBack(List<ClaimedJob> jobs) {
        if (jobs.isEmpty()) {
            return;
        }
        Instant now = this.clock.instant();
        List<JobOutcome> outcomes = jobs.stream()
            .map((claimed) -> new JobOutcome(claimed.job().id(), claimed.lease(), JobTransition.released(now),
                    new JobReport(claimed.job().progress(), claimed.job().progressMessage(), claimed.job().log()), now))
            .toList();
        Map<JobId, RuntimeException> refused;
        try {
            refused = this.store.finishAll(outcomes);
        }
        catch (RuntimeException ex) {
            refused = (outcomes.size() > 1) ? giveBackOneByOne(outcomes) : Map.of(outcomes.get(0).id(), ex);
        }
        List<JobId> takenOver = new ArrayList<>();
        List<JobId> notWritten = new ArrayList<>();
        List<JobId> refusedByStore = new ArrayList<>();
        List<Lease> toRelease = new ArrayList<>();
        @Nullable RuntimeException unreachable = null;
        @Nullable RuntimeException refusal = null;
        for (ClaimedJob claimed : jobs) {
            RuntimeException failure = refused.get(claimed.job().id());
            if (failure == null) {
                if (this.leasesInStore) {
                    outcomeRecorded(claimed.lease());
                    continue;
                }
            }
            else if (failure instanceof LeaseLostException) {
                takenOver.add(claimed.job().id());
            }
            else if (ConnectionFailures.isConnectionFailure(failure)) {
                notWritten.add(claimed.job().id());
                unreachable = failure;
            }
            else {
                refusedByStore.add(claimed.job().id());
                refusal = failure;
            }
            toRelease.add(claimed.lease());
        }
        // In one step, those given back too: with a lease store of its own, one round trip rather than one a job; with
        // the store down, each release would wait out a connection timeout of its own.
        releaseLeases(toRelease);
        if (!takenOver.isEmpty()) {
            logger.warn("Job orchestrator '{}' did not give back {} jobs claimed but not run: their leases were lost and "
                    + "another worker took them over, which runs them (their attempt here counted as abandoned): {}",
                    this.owner, takenOver.size(), takenOver);
        }
        if (!notWritten.isEmpty()) {
            logger.warn("Job orchestrator '{}' could not give back {} jobs claimed but not run: the store could not be "
                    + "reached; they stay RUNNING until their leases expire, then a worker of any node takes them over "
                    + "(their attempt here counted as abandoned): {}", this.owner, notWritten.size(), notWritten,
                    unreachable);
        }
        if (!refusedByStore.isEmpty()) {
            logger.warn("Job orchestrator '{}' could not give back {} jobs claimed but not run: the store refused the "
                    + "write (attached); their leases are released, so a worker of any node takes them over as "
                    + "abandoned (their attempt here counted): {}", this.owner, refusedByStore.size(), refusedByStore,
                    refusal);
        }
    }

    /**
     * Gives jobs back one write each until one fails because the store cannot be reached ({@link ConnectionFailures});
     * that one and the rest are returned as not given back, with that failure. One the store refuses (it answered)
     * does not stop the others.
     */
    private Map<JobId, RuntimeException> giveBackOneByOne(List<JobOutcome> outcomes) {
        Map<JobId, RuntimeException> refused = new HashMap<>();
        @Nullable RuntimeException unreachable = null;
        for (JobOutcome outcome : outcomes) {
            if (unreachable != null) {
                refused.put(outcome.id(), unreachable);
                continue;
            }
            try {
                this.store.finish(outcome.id(), outcome.lease(), outcome.transition(), outcome.report(),
                        outcome.now());
            }
            catch (RuntimeException ex) {
                if (ConnectionFailures.isConnectionFailure(ex)) {
                    unreachable = ex;
                }
                refused.put(outcome.id(), ex);
            }
        }
        return refused;
    }

    /**
     * Called on an attempt's thread once its handler returned, before its outcome is written (write-behind): frees
     * the worker's slot, and its type's place under a concurrency limit, for the next waiting job, which starts at
     * once, while the outcome is written (with those of the other attempts that end meanwhile, {@link OutcomeWriter}).
     * The job stays held until {@link #ended}: it is left out of the node's own look for abandoned jobs, its lease is
     * kept, and {@link #runningJobs()} lists it; but it leaves its room for the claims (up to {@code workers +
     * prefetch} such jobs, {@link #claimSize(int)}), so the node polls now when that room is wanted, rather than
     * once the outcome is written. Its outcome is then written as before, fenced by its lease; a lease lost
     * meanwhile refuses it. Whatever starting the next job throws is logged here, never taken for the attempt's
     * failure.
     * @param execution the attempt
     */
    void handlerReturned(JobExecution execution) {
        synchronized (this.lock) {
            if (!this.running.remove(execution.job().id(), execution)) {
                return;
            }
            this.runningByType.computeIfPresent(execution.type(), (type, count) -> (count > 1) ? count - 1 : null);
            this.writing.put(execution.job().id(), execution);
            jobFinished();
        }
        try {
            startReady();
        }
        catch (RuntimeException | Error ex) {
            // Not the attempt's failure: its handler returned, and its outcome is still written. The waiting jobs
            // start when a slot frees next, or at the next poll.
            logger.error("Job orchestrator '{}' could not start the next waiting job once job {} ({}) returned",
                    this.owner, execution.job().id(), execution.type(), ex);
        }
        boolean claim;
        boolean look;
        synchronized (this.lock) {
            claim = this.state == State.RUNNING && claimSize() > 0;
            look = this.state == State.RUNNING && lookWanted();
        }
        if (look && !this.attemptsFailingToStart) {
            pollAndLookAhead();
        }
        else if (claim && !this.attemptsFailingToStart) {
            poll();
        }
    }

    /**
     * Called when an attempt's thread returns, or could not start: gives back the job of an attempt withdrawn before
     * it started (its lease lost), frees its slot and polls for more.
     */
    void ended(JobExecution execution) {
        freeSlot(execution);
        startReady();
        boolean claim;
        boolean look;
        synchronized (this.lock) {
            // With a claim in flight, its reservation may hide the room this slot left; asked to poll, it goes round
            // again when it claimed less than it reserved.
            claim = claimSize() > 0 || this.poll != null;
            look = lookWanted();
        }
        if (look && !this.attemptsFailingToStart) {
            pollAndLookAhead();
        }
        else if (claim && !this.attemptsFailingToStart) {
            poll();
        }
    }

    /**
     * Returns whether the last look for the next due job left out types without room and one of them has room now:
     * an attempt that returned or ended may have freed some. The room the claims in flight reserved counts as free, as
     * in the look itself ({@link #typesWithRoom()}): the poll of the attempt whose handler returned may hold it, and a
     * look skipped for that reason would leave the next due job to the tick. Only a type the last look left out makes
     * one: while a type stays at its concurrency limit, the attempts of the others do not each look again. Called
     * holding the lock.
     */
    private boolean lookWanted() {
        return this.lookSkipped && claimSize(0) > 0 && !this.lookedFor.containsAll(typesWithRoom());
    }

    /**
     * Tells that an attempt could not start because of an {@link Error} before it started (say from a filter's
     * {@code openScope}): its job is given back when its thread ends, and the next claim waits for the poll interval.
     */
    void attemptFailedToStart() {
        this.attemptsFailingToStart = true;
    }

    /**
     * Gives back the job of an attempt withdrawn before it started, then frees its slot, even when the give-back
     * throws (an {@link Error} of the store's driver): a slot left taken would never be freed.
     */
    private void freeSlot(JobExecution execution) {
        ClaimedJob withdrawn = execution.takeWithdrawn();
        try {
            if (withdrawn != null) {
                // Before its slot frees, so that no claim of this node takes it over as abandoned meanwhile.
                giveBack(List.of(withdrawn));
            }
        }
        catch (RuntimeException | Error ex) {
            logger.error("Job orchestrator '{}' could not give back job {}, withdrawn before its attempt started; it "
                    + "stays RUNNING and runs again once its lease expires", this.owner, execution.job().id(), ex);
            if (withdrawn != null) {
                // No longer renewed, or it would stay RUNNING for ever.
                leaveLease(withdrawn.lease());
            }
        }
        finally {
            synchronized (this.lock) {
                if (this.running.remove(execution.job().id(), execution)) {
                    this.runningByType.computeIfPresent(execution.type(),
                            (type, count) -> (count > 1) ? count - 1 : null);
                    if (execution.started()) {
                        jobFinished();
                    }
                }
                else {
                    this.writing.remove(execution.job().id(), execution);
                }
                this.lock.notifyAll();
            }
        }
    }

    /**
     * Counts a job finished for the adaptive prefetch's rate: only attempts that started, so that a lease lost before
     * the start or a thread that could not start does not pass for work done. Called holding the lock.
     */
    private void jobFinished() {
        AdaptivePrefetch adaptive = this.adaptive;
        if (adaptive != null) {
            adaptive.jobFinished();
        }
    }

    private void checkCancellationsWhenDue() {
        List<JobId> ids;
        synchronized (this.lock) {
            boolean due = this.cancellationCheckDue;
            this.cancellationCheckDue = false;
            if (!due || (this.running.isEmpty() && this.ready.isEmpty())) {
                return;
            }
            // Prefetched jobs too: a cancellation requested while one waits ends it before its handler runs.
            List<JobId> held = new ArrayList<>(this.running.keySet());
            held.addAll(this.ready.ids());
            ids = held;
        }
        try {
            this.store.cancellationsRequested(ids).forEach(this::cancellationRequested);
        }
        catch (RuntimeException ex) {
            logger.warn("Could not check the running jobs of '{}' for cancellation requests", this.owner, ex);
        }
    }

    private void leaseLost(Lease lease, LeaseLoss loss) {
        this.unwritten.leaseLost(lease);
        JobId id;
        try {
            id = JobLeases.jobId(lease.resource());
        }
        catch (IllegalArgumentException ex) {
            return;
        }
        JobExecution execution;
        @Nullable ClaimedJob waiting;
        synchronized (this.lock) {
            execution = this.running.get(id);
            if (execution == null) {
                // Its handler returned, its outcome maybe not yet decided: a lost lease decides (nothing is written).
                execution = this.writing.get(id);
            }
            waiting = this.ready.removeLost(lease);
            if (waiting != null) {
                this.givingBack.add(id);
            }
        }
        if (execution != null && execution.lease().isSameLease(lease)) {
            if (execution.withdraw()) {
                // A worker took it but its attempt has not started: it never ran, so it is given back when its
                // thread ends, its attempt not counted, rather than left to be taken over as abandoned.
                logger.warn("Lost the lease of job {} ({}) before its attempt started: {}; given back unless another "
                        + "worker took it over", id, execution.type(), loss);
            }
            else {
                execution.leaseLost(loss);
            }
        }
        if (waiting != null) {
            // Given back rather than only released: it never ran, so its attempt is not counted, unless another
            // worker took it over already (the give-back's fence refuses it then, and the lease is released).
            logger.warn("Lost the lease of job {} ({}) while it waited for a worker: {}; given back unless another "
                    + "worker took it over", id, waiting.job().type(), loss);
            List<ClaimedJob> lost = List.of(waiting);
            runAsync(() -> {
                try {
                    giveBack(lost);
                }
                finally {
                    synchronized (this.lock) {
                        this.givingBack.remove(id);
                    }
                }
                poll();
            });
        }
    }

    /**
     * Called once an attempt's outcome is recorded: a store that keeps leases in its records freed the lease in the
     * same write, so the keeper only forgets it; otherwise the lease is released ({@link #releaseLease}).
     */
    void outcomeRecorded(Lease lease) {
        if (this.leasesInStore) {
            this.keeper.forget(lease);
        }
        else {
            releaseLease(lease);
        }
    }

    /**
     * Stops keeping a lease without releasing it: the outcome of its attempt could not be written as the store could
     * not be reached, so its job stays {@code RUNNING} until the lease expires, then a worker takes it over.
     */
    void leaveLease(Lease lease) {
        this.keeper.forget(lease);
    }

    /**
     * Releases a lease the worker no longer needs. While it runs, the release is left to a virtual thread that
     * releases every lease given to it meanwhile in one step ({@link LeaseKeeper#releaseAll}) and then polls: an
     * attempt's slot is free once its outcome is written, without waiting for the lease's round trip, and a job given
     * back while its lease was still held is claimed again once it is free. The lease is renewed until then.
     * Stopping and closed, it releases at once.
     */
    void releaseLease(Lease lease) {
        releaseLeases(List.of(lease));
    }

    /**
     * Releases leases the worker no longer needs, as {@link #releaseLease} does; stopping and closed, all in one step.
     */
    private void releaseLeases(List<Lease> leases) {
        if (leases.isEmpty()) {
            return;
        }
        boolean start;
        synchronized (this.lock) {
            if (this.state != State.RUNNING) {
                start = false;
            }
            else {
                this.toRelease.addAll(leases);
                start = !this.releasing;
                this.releasing = true;
                if (!start) {
                    return;
                }
            }
        }
        if (!start) {
            releaseNow(leases);
            return;
        }
        try {
            this.threads.newThread(this::releasePending).start();
        }
        catch (RuntimeException ex) {
            releasePending();
        }
    }

    private void releasePending() {
        while (true) {
            List<Lease> batch;
            synchronized (this.lock) {
                if (this.toRelease.isEmpty()) {
                    this.releasing = false;
                    this.lock.notifyAll();
                    return;
                }
                batch = List.copyOf(this.toRelease);
                this.toRelease.clear();
            }
            releaseNow(batch);
            if (!this.attemptsFailingToStart) {
                poll();
            }
        }
    }

    private void releaseNow(List<Lease> leases) {
        try {
            if (leases.size() == 1) {
                this.keeper.release(leases.get(0));
            }
            else {
                this.keeper.releaseAll(leases);
            }
        }
        catch (RuntimeException ex) {
            logger.warn("Could not release {}; they expire on their own", leases, ex);
        }
    }

    private void armTick() {
        if (this.state != State.RUNNING) {
            return;
        }
        Instant at = this.clock.instant().plus(this.pollInterval);
        this.tickAt = at;
        this.tick = this.scheduler.schedule(at, this::tick);
    }

    private CompletionStage<?> tick() {
        synchronized (this.lock) {
            this.tick = null;
            this.tickAt = null;
            this.cancellationCheckDue = true;
            armTick();
        }
        return pollAndLookAhead();
    }

    /**
     * Stops claiming, gives back the claimed jobs waiting for a worker, waits up to the shutdown timeout for the
     * running attempts, then stops the rest and gives their jobs back, and releases every lease.
     */
    @Override
    public void close() {
        List<JobExecution> left;
        List<JobExecution> stillWriting;
        List<ClaimedJob> waiting;
        synchronized (this.lock) {
            if (this.state == State.CLOSED || this.state == State.STOPPING) {
                return;
            }
            this.state = State.STOPPING;
            if (this.tick != null) {
                this.tick.cancel();
                this.tick = null;
            }
            if (this.wakeUp != null) {
                this.wakeUp.cancel();
                this.wakeUp = null;
                this.wakeUpAt = null;
            }
            waiting = this.ready.drain();
        }
        giveBack(waiting);
        synchronized (this.lock) {
            long deadline = System.nanoTime() + this.shutdownTimeout.toNanos();
            while (!this.running.isEmpty() || !this.writing.isEmpty()) {
                long wait = deadline - System.nanoTime();
                if (wait <= 0) {
                    break;
                }
                try {
                    this.lock.wait(Math.max(1, wait / 1_000_000));
                }
                catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            left = List.copyOf(this.running.values());
            stillWriting = List.copyOf(this.writing.values());
        }
        if (!left.isEmpty()) {
            logger.warn("Job orchestrator '{}' stops {} jobs still running after {}: {}", this.owner, left.size(),
                    this.shutdownTimeout, left);
        }
        if (!stillWriting.isEmpty()) {
            logger.warn("Job orchestrator '{}' closes with {} jobs whose handler returned still writing their outcome "
                    + "after {} (not stopped; an outcome not written runs its job again once its lease expires): {}",
                    this.owner, stillWriting.size(), this.shutdownTimeout, stillWriting);
        }
        left.forEach(JobExecution::stop);
        this.unwritten.close();
        awaitPendingReleases();
        this.keeper.close();
        if (this.ownScheduler != null) {
            this.ownScheduler.shutdownNow();
        }
        synchronized (this.lock) {
            this.state = State.CLOSED;
        }
        logger.debug("Job orchestrator '{}' closed", this.owner);
    }

    /**
     * Waits until the leases given to {@link #releaseLease} while running are released (each release is bounded by
     * the store's own timeouts), and releases those still waiting.
     */
    private void awaitPendingReleases() {
        List<Lease> waiting;
        synchronized (this.lock) {
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (this.releasing) {
                long wait = deadline - System.nanoTime();
                if (wait <= 0) {
                    break;
                }
                try {
                    this.lock.wait(Math.max(1, wait / 1_000_000));
                }
                catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            waiting = List.copyOf(this.toRelease);
            this.toRelease.clear();
        }
        if (!waiting.isEmpty()) {
            releaseNow(waiting);
        }
    }

    JobStore store() {
        return this.store;
    }

    OutcomeWriter outcomes() {
        return this.outcomes;
    }

    UnwrittenOutcomes unwrittenOutcomes() {
        return this.unwritten;
    }

    JobPayloadCodec codec() {
        return this.codec;
    }

    Clock clock() {
        return this.clock;
    }

    LeaseKeeper.Scheduler scheduler() {
        return this.scheduler;
    }

    JobFilters filters() {
        return this.filters;
    }

    JobOutcomeListener outcomeListener() {
        return this.outcomeListener;
    }

    JobMetrics metrics() {
        return this.metrics;
    }

    /**
     * Runs work on a virtual thread of its own, off the scheduler's thread.
     * @param work the work
     * @return completes when the work is done
     */
    CompletableFuture<Void> runAsync(Runnable work) {
        return CompletableFuture.runAsync(work, (task) -> this.threads.newThread(task).start());
    }

    RandomGenerator random() {
        return this.random;
    }

    @Override
    public String toString() {
        synchronized (this.lock) {
            AdaptivePrefetch adaptive = this.adaptive;
            String sizing = (adaptive != null)
                    ? " prefetched (adaptive, " + adaptive.floor() + "-" + adaptive.ceiling() + "), " : " prefetched, ";
            return "JobOrchestrator[" + this.owner + ", " + this.running.size() + "/" + this.workers + " running, "
                    + this.writing.size() + " writing their outcome, " + this.ready.size() + "/" + this.prefetch
                    + sizing + this.state.name().toLowerCase(Locale.ROOT) + "]";
        }
    }

    private enum State {
        NEW, RUNNING, STOPPING, CLOSED
    }

    /** What a round's claim of due jobs did. */
    private enum ClaimRound {
        /** No claim: no room. */
        NONE,
        /** Claimed fewer jobs than it reserved room for. */
        SHORT,
        /** Claimed as many jobs as it reserved room for: there may be more. */
        FULL
    }

    /**
     * The room a claim in flight reserved ({@link #nextClaim}), given back once ({@link #end}). Guarded by
     * {@link #lock}.
     */
    private final class Reservation {

        private final Claim claim;

        /** When the claim was reserved, in ticks ({@link #ticker}): its round trip starts here. */
        private final long reservedAt;

        private boolean open = true;

        Reservation(Claim claim) {
            this.claim = claim;
            this.reservedAt = JobOrchestrator.this.ticker.getAsLong();
        }

        /** Gives the room back, once. Called holding the lock. */
        void end() {
            if (!this.open) {
                return;
            }
            this.open = false;
            JobOrchestrator.this.reserved -= this.claim.max();
            this.claim.room()
                .forEach((type, size) -> JobOrchestrator.this.reservedByType.computeIfPresent(type,
                        (t, n) -> (n > size) ? n - size : null));
        }
    }

    /**
     * Builds a {@link JobOrchestrator}; every setter checks its value and names it when it is not allowed.
     */
    public static final class Builder {

        private final JobStore store;

        private final LeaseStore leaseStore;

        private final JobHandlerRegistry handlers;

        private final JobPayloadCodec codec;

        private @Nullable String owner;

        private int workers = 4;

        private @Nullable Integer prefetch;

        private @Nullable Integer maxPrefetch;

        private Duration pollInterval = Duration.ofSeconds(1);

        private Duration leaseDuration = Duration.ofSeconds(30);

        private @Nullable Duration renewEvery;

        private @Nullable Duration abandonedCheckInterval;

        private Duration shutdownTimeout = Duration.ofSeconds(30);

        private int logLimit = 100;

        private Clock clock = Clock.systemUTC();

        private LongSupplier ticker = System::nanoTime;

        private LeaseKeeper.@Nullable Scheduler scheduler;

        private JobMetrics metrics = JobMetrics.NONE;

        private JobFilters filters = JobFilters.NONE;

        private JobOutcomeListener outcomeListener = JobOutcomeListener.NONE;

        private RandomGenerator random = RandomGenerator.getDefault();

        private @Nullable ThreadFactory attemptThreads;

        private Builder(JobStore store, LeaseStore leaseStore, JobHandlerRegistry handlers, JobPayloadCodec codec) {
            this.store = Objects.requireNonNull(store, "store must not be null");
            this.leaseStore = Objects.requireNonNull(leaseStore, "leaseStore must not be null");
            this.handlers = Objects.requireNonNull(handlers, "handlers must not be null");
            this.codec = Objects.requireNonNull(codec, "codec must not be null");
        }

        /**
         * Sets the owner of the leases, the worker name jobs record; {@link #defaultOwner()} unless set.
         * @param owner not blank, at most 255 characters, unique among the nodes
         * @return this builder
         */
        public Builder owner(String owner) {
            Objects.requireNonNull(owner, "owner must not be null");
            if (owner.isBlank() || owner.length() > 255) {
                throw new IllegalArgumentException("A worker's owner name must not be blank and have at most 255 "
                        + "characters, was '" + owner + "'");
            }
            this.owner = owner;
            return this;
        }

        /**
         * Sets how many jobs run at once at most; 4 unless set.
         * @param workers at least 1
         * @return this builder
         */
        public Builder workers(int workers) {
            if (workers < 1) {
                throw new IllegalArgumentException("workers must be at least 1, was " + workers);
            }
            this.workers = workers;
            return this;
        }

        /**
         * Sets the factory of the threads the attempts run on, for tests (one that cannot start threads).
         */
        Builder attemptThreads(ThreadFactory attemptThreads) {
            this.attemptThreads = Objects.requireNonNull(attemptThreads, "attemptThreads must not be null");
            return this;
        }

        /**
         * Sets how many jobs may be claimed ahead of free workers, to wait leased until one frees: a claim is then
         * for a batch rather than for the one worker that just freed, which saves round trips to the store when
         * many short jobs are due. Waiting jobs keep their leases renewed and are given back at shutdown; on other
         * nodes they wait until this node runs them. Types with a concurrency limit are not claimed beyond their
         * limit. Set, it stays fixed; unless set it is adaptive ({@link AdaptivePrefetch}): it starts at the worker
         * count and follows the jobs the workers finish per second times a claim's round trip, twice over and half
         * as much again, between 1 and {@link #maxPrefetch} (4 times the worker count unless set), so that
         * long-running jobs wait one at a time on a node once it runs only them, and a backlog of short jobs is
         * claimed in batches as large as the ceiling.
         * @param prefetch zero or positive
         * @return this builder
         */
        public Builder prefetch(int prefetch) {
            if (prefetch < 0) {
                throw new IllegalArgumentException("prefetch must not be negative, was " + prefetch);
            }
            this.prefetch = prefetch;
            return this;
        }

        /**
         * Sets the most jobs the adaptive prefetch claims ahead of free workers (when no {@link #prefetch} is set;
         * ignored when one is): a node holds at most {@code workers + maxPrefetch} jobs to run. 4 times the worker
         * count unless set.
         * @param maxPrefetch at least 1
         * @return this builder
         */
        public Builder maxPrefetch(int maxPrefetch) {
            if (maxPrefetch < 1) {
                throw new IllegalArgumentException("maxPrefetch must be at least 1, was " + maxPrefetch);
            }
            this.maxPrefetch = maxPrefetch;
            return this;
        }

        /**
         * Sets how often the store is polled for due jobs; 1 second unless set.
         * @param pollInterval positive
         * @return this builder
         */
        public Builder pollInterval(Duration pollInterval) {
            this.pollInterval = positive(pollInterval, "pollInterval");
            return this;
        }

        /**
         * Sets how long a claim lasts unless renewed: how long after a node dies its jobs run elsewhere; 30 seconds
         * unless set.
         * @param leaseDuration positive
         * @return this builder
         */
        public Builder leaseDuration(Duration leaseDuration) {
            this.leaseDuration = positive(leaseDuration, "leaseDuration");
            return this;
        }

        /**
         * Sets how often leases are renewed; a third of the lease duration unless set.
         * @param renewEvery positive, shorter than the lease duration
         * @return this builder
         */
        public Builder renewEvery(Duration renewEvery) {
            this.renewEvery = positive(renewEvery, "renewEvery");
            return this;
        }

        /**
         * Sets how often running jobs whose lease is free are looked for; the lease duration unless set.
         * @param interval positive
         * @return this builder
         */
        public Builder abandonedCheckInterval(Duration interval) {
            this.abandonedCheckInterval = positive(interval, "abandonedCheckInterval");
            return this;
        }

        /**
         * Sets how long {@link JobOrchestrator#close()} waits for running jobs; 30 seconds unless set.
         * @param shutdownTimeout zero or positive
         * @return this builder
         */
        public Builder shutdownTimeout(Duration shutdownTimeout) {
            Objects.requireNonNull(shutdownTimeout, "shutdownTimeout must not be null");
            if (shutdownTimeout.isNegative()) {
                throw new IllegalArgumentException("shutdownTimeout must not be negative, was " + shutdownTimeout);
            }
            this.shutdownTimeout = shutdownTimeout;
            return this;
        }

        /**
         * Sets how many log lines a job keeps, the latest; 100 unless set.
         * @param logLimit zero or positive
         * @return this builder
         */
        public Builder logLimit(int logLimit) {
            if (logLimit < 0) {
                throw new IllegalArgumentException("logLimit must not be negative, was " + logLimit);
            }
            this.logLimit = logLimit;
            return this;
        }

        /**
         * Sets the clock; the system clock unless set.
         * @param clock the clock
         * @return this builder
         */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock must not be null");
            return this;
        }

        /**
         * Sets the monotonic tick source, in nanoseconds, that times the claims' round trips and the jobs finished per
         * second for the adaptive prefetch ({@link #prefetch}); {@link System#nanoTime()} unless set. Not the
         * {@link #clock}: a step of the wall clock would drop the rate or skip samples. Tests set a virtual one.
         * @param ticker the tick source
         * @return this builder
         */
        public Builder ticker(LongSupplier ticker) {
            this.ticker = Objects.requireNonNull(ticker, "ticker must not be null");
            return this;
        }

        /**
         * Sets the scheduler of polls, timeouts and lease renewals; unless set, a daemon thread of its own waits in
         * real time, stopped by {@link JobOrchestrator#close()}.
         * @param scheduler the scheduler
         * @return this builder
         */
        public Builder scheduler(LeaseKeeper.Scheduler scheduler) {
            this.scheduler = Objects.requireNonNull(scheduler, "scheduler must not be null");
            return this;
        }

        /**
         * Sets what records metrics; nothing unless set.
         * @param metrics the metrics
         * @return this builder
         */
        public Builder metrics(JobMetrics metrics) {
            this.metrics = Objects.requireNonNull(metrics, "metrics must not be null");
            return this;
        }

        /**
         * Sets the filters told about each attempt; none unless set.
         * @param filters the filters
         * @return this builder
         */
        public Builder filters(JobFilters filters) {
            this.filters = Objects.requireNonNull(filters, "filters must not be null");
            return this;
        }

        /**
         * Sets who is told each job's final outcome once it is recorded, such as the queue's
         * {@link WorkflowAdvancer}; nobody unless set.
         * @param listener the listener
         * @return this builder
         */
        public Builder outcomeListener(JobOutcomeListener listener) {
            this.outcomeListener = Objects.requireNonNull(listener, "listener must not be null");
            return this;
        }

        /**
         * Sets where the jitter of backoffs comes from.
         * @param random the generator
         * @return this builder
         */
        public Builder random(RandomGenerator random) {
            this.random = Objects.requireNonNull(random, "random must not be null");
            return this;
        }

        /**
         * Builds the orchestrator, not started.
         * @return the orchestrator
         * @throws IllegalArgumentException when {@code renewEvery} is not shorter than the lease duration
         */
        public JobOrchestrator build() {
            return new JobOrchestrator(this);
        }

        private static Duration positive(Duration value, String name) {
            Objects.requireNonNull(value, name + " must not be null");
            if (value.isZero() || value.isNegative()) {
                throw new IllegalArgumentException(name + " must be positive, was " + value);
            }
            return value;
        }
    }
}
