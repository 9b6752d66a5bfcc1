package dev.quark.durabletasks.worker;

import java.lang.management.ManagementFactory;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Supplier;

import dev.quark.durabletasks.DurableTaskRegistry;
import dev.quark.durabletasks.internal.ActivityDecision;
import dev.quark.durabletasks.internal.ActivityRunner;
import dev.quark.durabletasks.internal.InstanceCache;
import dev.quark.durabletasks.internal.OrchestrationExecutor;
import dev.quark.durabletasks.internal.StepResult;
import dev.quark.durabletasks.payload.JacksonPayloadConverter;
import dev.quark.durabletasks.payload.PayloadConverter;
import dev.quark.durabletasks.store.ActivityWorkItem;
import dev.quark.durabletasks.store.DurableTaskResources;
import dev.quark.durabletasks.store.DurableTaskStore;
import dev.quark.durabletasks.store.HistoryConflictException;
import dev.quark.durabletasks.store.OrchestrationCommit;
import dev.quark.durabletasks.store.OrchestrationWorkItem;
import dev.quark.lease.FencingToken;
import dev.quark.lease.Lease;
import dev.quark.lease.LeaseKeeper;
import dev.quark.lease.LeaseLostException;
import dev.quark.lease.LeaseStore;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs orchestration steps and activity attempts from a {@link DurableTaskStore}: every {@code pollInterval} (and at
 * once when told of new work by {@link #wake()}, when a piece of its work ends, and when work it found no sooner
 * becomes visible: a timer, a delayed start, a later retry, {@link DurableTaskStore#nextVisibleAfter}), it looks for
 * due work, claims as
 * much as it has room for with leases, renewed while the work runs, and runs each piece on a virtual thread of its
 * own. A store that keeps leases on the work's own records ({@link DurableTaskStore#rowLeases()}, PostgreSQL) is
 * claimed from in one step per batch, the write that ends a piece of work frees its lease, and a step's commit leases
 * the activity calls it queues to this worker, as many as it has room for, which it then runs without claiming them
 * ({@link dev.quark.durabletasks.store.RowLeases#commitLeasingActivities}); with other stores the
 * worker finds due work, leases it from the {@link LeaseStore} ({@link LeaseKeeper}) and stamps it.
 * Several workers, in one process or many, share a store: a lease gives each piece of work to one of them, and a
 * worker that dies loses its leases, so that another one takes its work over once they expire.
 * <p>
 * An orchestration step replays the instance's code and commits what it decided, fenced by its lease's token and
 * the history's expected length. An activity attempt runs the activity, then records its outcome, fenced by its
 * lease's token, or puts the call back for a retry. Work whose lease was lost is not recorded: the new owner does it
 * again.
 * <p>
 * Time comes from the injected {@link Clock} (timers, retries, timeouts, leases) and timed work from a
 * {@link LeaseKeeper.Scheduler}, so tests drive a worker in virtual time with the test kit's {@code ManualClock} and
 * {@code ManualScheduler}; a poll's returned stage completes when the work it started is done, so that
 * {@code scheduler.runDueTasks()} runs an orchestration as far as it can go:
 * <pre>{@code
 * DurableTaskWorker worker = DurableTaskWorker.builder(store, leases, registry)
 *     .clock(clock)
 *     .scheduler((at, task) -> scheduler.schedule(at, task)::cancel)
 *     .build();
 * worker.start();
 * }</pre>
 * Thread-safe.
 */
public final class DurableTaskWorker implements AutoCloseable {

    private static final Logger logger = LoggerFactory.getLogger(DurableTaskWorker.class);

    private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

    private final DurableTaskStore store;

    private final LeaseKeeper keeper;

    private final @Nullable RowLeaseKeeper rowLeases;

    private final OrchestrationExecutor executor;

    private final InstanceCache cache;

    private final boolean cacheOffByDefault;

    private final ActivityRunner activities;

    private final Clock clock;

    private final LeaseKeeper.Scheduler scheduler;

    private final @Nullable ScheduledExecutorService ownScheduler;

    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();

    private final String owner;

    private final int maxSteps;

    private final int maxActivities;

    private final Duration pollInterval;

    private final Duration shutdownTimeout;

    private final DurableTaskMetrics metrics;

    private final Consumer<String> instanceListener;

    /**
     * The threads of the running work, by lease: a step's commit frees its lease before the step's thread ends, so
     * the same resource may be claimed again and run on a second thread meanwhile, with a newer token.
     */
    private final Map<Held, Thread> working = new ConcurrentHashMap<>();

    private final Map<Long, CompletableFuture<?>> inFlight = new ConcurrentHashMap<>();

    private final AtomicLong workIds = new AtomicLong();

    private final Object lock = new Object();

    private boolean started;

    private boolean closed;

    private int runningSteps;

    private int runningActivities;

    private LeaseKeeper.Scheduler.@Nullable Cancellable pollTimer;

    private @Nullable Instant pollAt;

    /** Whether a look at the store's next visible work runs ({@link #lookAhead}). */
    private boolean lookPending;

    /** The earliest instant a look was asked from while one ran: the running one, once done, looks again from it. */
    private @Nullable Instant lookAgainSince;

    private DurableTaskWorker(Builder builder) {
        this.store = builder.store;
        this.clock = builder.clock;
        this.owner = (builder.owner != null) ? builder.owner : defaultOwner();
        if (builder.scheduler != null) {
            this.scheduler = builder.scheduler;
            this.ownScheduler = null;
        }
        else {
            this.ownScheduler = Executors.newSingleThreadScheduledExecutor(
                    Thread.ofPlatform().name("quark-durabletasks-scheduler").daemon().factory());
            this.scheduler = LeaseKeeper.Scheduler.of(this.clock, this.ownScheduler);
        }
        this.keeper = LeaseKeeper.builder(builder.leases, this.owner)
            .duration(builder.leaseDuration)
            .clock(this.clock)
            .scheduler(this.scheduler)
            .listener((lease, loss) -> interrupt(lease.resource(), lease.token(), loss.name()))
            .build();
        this.rowLeases = this.store.rowLeases()
            .map((leases) -> new RowLeaseKeeper(leases, builder.leaseDuration, this.clock, this.scheduler, this.threads,
                    this::interrupt))
            .orElse(null);
        DurableTaskMetrics metrics = builder.metrics;
        int javaVersion = Runtime.version().feature();
        int cacheSize = (builder.instanceCacheSize != null) ? builder.instanceCacheSize
                : InstanceCache.defaultCapacity(javaVersion);
        this.cacheOffByDefault = builder.instanceCacheSize == null && cacheSize == 0;
        this.cache = new InstanceCache(cacheSize, new InstanceCache.Listener() {
            @Override
            public void hit() {
                metrics.instanceCache("hit");
            }

            @Override
            public void miss() {
                metrics.instanceCache("miss");
            }

            @Override
            public void evicted() {
                metrics.instanceCache("evicted");
            }
        });
        this.executor = new OrchestrationExecutor(builder.registry, builder.converter, builder.stepTimeout,
                builder.historyWarnEvents, builder.historyMaxEvents, this.cache);
        this.activities = new ActivityRunner(builder.registry, builder.converter, this.clock, this.scheduler,
                this.store);
        this.maxSteps = builder.maxConcurrentSteps;
        this.maxActivities = builder.maxConcurrentActivities;
        this.pollInterval = builder.pollInterval;
        this.shutdownTimeout = builder.shutdownTimeout;
        this.metrics = builder.metrics;
        this.instanceListener = builder.instanceListener;
    }

    /**
     * Starts building a worker.
     * @param store where instances, histories and queues are
     * @param leases where work is claimed; shared by every worker of the store
     * @param registry the orchestrations and activities this worker runs
     * @return the builder
     */
    public static Builder builder(DurableTaskStore store, LeaseStore leases, DurableTaskRegistry registry) {
        return new Builder(store, leases, registry);
    }

    /**
     * Starts polling.
     * @throws IllegalStateException when the worker is closed
     */
    public void start() {
        synchronized (this.lock) {
            if (this.closed) {
                throw new IllegalStateException("The durable task worker '" + this.owner + "' is closed");
            }
            this.started = true;
        }
        if (this.cacheOffByDefault) {
            logger.info("Durable task worker '{}' keeps no orchestration instances between steps: on Java {} a "
                    + "virtual thread parked inside synchronized code pins its carrier thread (fixed in Java 24, "
                    + "JEP 491), so the instance cache is off unless its size is set "
                    + "(quark.durabletasks.instance-cache-size); every step replays the history", this.owner,
                    Runtime.version().feature());
        }
        logger.debug("Durable task worker '{}' started", this.owner);
        wake();
    }

    /**
     * Polls as soon as possible: new work is known (an instance scheduled, an event raised).
     */
    public void wake() {
        schedulePoll(this.clock.instant());
    }

    /**
     * Polls at an instant, or sooner when a poll comes sooner: work is known to become visible then (another node
     * created a timer, a delayed start, a later retry). An instant past polls as soon as possible.
     * @param at when the work becomes visible, on this worker's clock
     */
    public void wakeAt(Instant at) {
        Objects.requireNonNull(at, "at must not be null");
        schedulePoll(at);
    }

    /**
     * Returns whether the worker is started and not closed.
     * @return whether it runs
     */
    public boolean isRunning() {
        synchronized (this.lock) {
            return this.started && !this.closed;
        }
    }

    /**
     * Returns the owner its leases are held by.
     * @return the owner
     */
    public String owner() {
        return this.owner;
    }

    /**
     * Returns how many orchestration steps and activity attempts run now.
     * @return the number of pieces of work
     */
    public int activeWork() {
        synchronized (this.lock) {
            return this.runningSteps + this.runningActivities;
        }
    }

    /**
     * Returns the most running instances this worker keeps between steps: the size set, or the default for the Java
     * runtime (see {@link Builder#instanceCacheSize}).
     * @return the capacity, 0 when none are kept
     */
    public int instanceCacheSize() {
        return this.cache.capacity();
    }

    /**
     * Returns how many running instances the worker keeps between steps (at most the builder's
     * {@link Builder#instanceCacheSize instance cache size}).
     * @return the number of kept instances
     */
    public int cachedInstances() {
        return this.cache.size();
    }

    /**
     * Stops polling, waits up to the shutdown timeout (in real time) for the work that runs, interrupts what is
     * left, releases the kept instances (their code unwinds) and the leases. Work that did not finish is done again
     * by another worker.
     */
    @Override
    public void close() {
        synchronized (this.lock) {
            if (this.closed) {
                return;
            }
            this.closed = true;
            if (this.pollTimer != null) {
                this.pollTimer.cancel();
                this.pollTimer = null;
            }
        }
        try {
            CompletableFuture.allOf(this.inFlight.values().toArray(CompletableFuture[]::new))
                .get(this.shutdownTimeout.toMillis(), TimeUnit.MILLISECONDS);
        }
        catch (TimeoutException ex) {
            logger.warn("Durable task worker '{}': {} pieces of work did not finish within {}; interrupting them",
                    this.owner, this.working.size(), this.shutdownTimeout);
            this.working.values().forEach(Thread::interrupt);
        }
        catch (ExecutionException ex) {
            logger.debug("Work failed while the worker stopped", ex);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            this.working.values().forEach(Thread::interrupt);
        }
        this.threads.shutdown();
        this.executor.releaseKept();
        this.keeper.close();
        if (this.rowLeases != null) {
            this.rowLeases.close();
        }
        if (this.ownScheduler != null) {
            this.ownScheduler.shutdownNow();
        }
        logger.debug("Durable task worker '{}' stopped", this.owner);
    }

    private void schedulePoll(Instant at) {
        synchronized (this.lock) {
            if (!this.started || this.closed) {
                return;
            }
            Instant current = this.pollAt;
            if (current != null && !current.isAfter(at)) {
                return;
            }
            if (this.pollTimer != null) {
                this.pollTimer.cancel();
            }
            this.pollAt = at;
            this.pollTimer = this.scheduler.schedule(at, this::poll);
        }
    }

    private CompletionStage<?> poll() {
        synchronized (this.lock) {
            this.pollTimer = null;
            this.pollAt = null;
            if (this.closed) {
                return DONE;
            }
        }
        Instant since = this.clock.instant();
        List<CompletableFuture<?>> work = new ArrayList<>();
        claim("orchestration steps", this::claimSteps, work);
        claim("activity calls", this::claimActivities, work);
        schedulePoll(this.clock.instant().plus(this.pollInterval));
        if (hasRoom()) {
            work.add(lookAhead(since));
        }
        return CompletableFuture.allOf(work.toArray(CompletableFuture[]::new));
    }

    /** Returns whether a step or an activity attempt could start now. */
    private boolean hasRoom() {
        synchronized (this.lock) {
            return this.runningSteps < this.maxSteps || this.runningActivities < this.maxActivities;
        }
    }

    /**
     * After a poll that left room free: asks the store when the next work becomes visible after the instant the poll
     * started (a timer, a delayed start, a later retry; {@link DurableTaskStore#nextVisibleAfter}; the claims used that
     * instant or a later one, so work visible in between is either claimed or found) and polls then, or now when it is
     * visible already, when that comes before the next poll. A worker without room does not look: the end of a piece
     * of work polls, and that poll looks. The look runs on a virtual thread, not on the scheduler's thread that the
     * lease renewals share; while one runs no other starts: it looks once more when it is done.
     * @return completes when the look started here is done (at once when none started)
     */
    private CompletableFuture<?> lookAhead(Instant since) {
        synchronized (this.lock) {
            if (this.closed) {
                return DONE;
            }
            if (this.lookPending) {
                Instant again = this.lookAgainSince;
                this.lookAgainSince = (again == null || since.isBefore(again)) ? since : again;
                return DONE;
            }
            this.lookPending = true;
        }
        try {
            return CompletableFuture.runAsync(() -> look(since), this.threads);
        }
        catch (RuntimeException ex) {
            // Closed meanwhile: nothing to poll for.
            synchronized (this.lock) {
                this.lookPending = false;
            }
            logger.debug("Durable task worker '{}' could not look for the next visible work", this.owner, ex);
            return DONE;
        }
    }

    private void look(Instant since) {
        Instant again;
        try {
            this.store.nextVisibleAfter(since).ifPresent((visibleAt) -> {
                Instant now = this.clock.instant();
                schedulePoll(visibleAt.isAfter(now) ? visibleAt : now);
            });
        }
        catch (RuntimeException ex) {
            // The store cannot be reached: the poll, which warns, stays the safety net.
            logger.debug("Durable task worker '{}' could not look for the next visible work", this.owner, ex);
        }
        finally {
            synchronized (this.lock) {
                this.lookPending = false;
                again = this.lookAgainSince;
                this.lookAgainSince = null;
            }
        }
        if (again != null) {
            lookAhead(again).join();
        }
    }

    /** Claims one kind of work; a failure is logged and does not keep the other kind from being claimed. */
    private void claim(String kind, Supplier<List<CompletableFuture<?>>> claims, List<CompletableFuture<?>> work) {
        try {
            work.addAll(claims.get());
        }
        catch (RuntimeException ex) {
            if (isRunning()) {
                logger.warn("Durable task worker '{}' could not look for {}; trying again in {}", this.owner, kind,
                        this.pollInterval, ex);
            }
            else {
                logger.debug("Durable task worker '{}' stopped while looking for {}", this.owner, kind, ex);
            }
        }
    }

    private List<CompletableFuture<?>> claimSteps() {
        int free;
        synchronized (this.lock) {
            free = this.maxSteps - this.runningSteps;
        }
        if (free <= 0) {
            return List.of();
        }
        RowLeaseKeeper rows = this.rowLeases;
        if (rows != null) {
            List<CompletableFuture<?>> work = new ArrayList<>();
            Instant until = rows.leasedUntil();
            for (OrchestrationWorkItem item : rows.leases().claimInstances(this.owner, this.clock.instant(),
                    rows.duration(), free)) {
                String instanceId = item.instance().instanceId();
                rows.keepInstance(instanceId, item.token(), until);
                Claim claim = new Claim(DurableTaskResources.instance(instanceId), item.token(),
                        () -> rows.settleInstance(instanceId, item.token()),
                        () -> rows.releaseInstance(instanceId, item.token()));
                synchronized (this.lock) {
                    this.runningSteps++;
                }
                work.add(start(claim, () -> step(claim, instanceId, () -> Optional.of(item)), true));
            }
            return work;
        }
        Map<String, String> byResource = new LinkedHashMap<>();
        this.store.dueInstances(this.clock.instant(), free * 4)
            .forEach((id) -> byResource.put(DurableTaskResources.instance(id), id));
        if (byResource.isEmpty()) {
            return List.of();
        }
        List<CompletableFuture<?>> work = new ArrayList<>();
        for (Lease lease : this.keeper.acquire(byResource.keySet(), free)) {
            String instanceId = Objects.requireNonNull(byResource.get(lease.resource()));
            Claim claim = Claim.of(lease, this.keeper);
            synchronized (this.lock) {
                this.runningSteps++;
            }
            work.add(start(claim, () -> step(claim, instanceId,
                    () -> this.store.claimInstance(instanceId, lease.token(), this.clock.instant())), true));
        }
        return work;
    }

    private List<CompletableFuture<?>> claimActivities() {
        int free;
        synchronized (this.lock) {
            free = this.maxActivities - this.runningActivities;
        }
        if (free <= 0) {
            return List.of();
        }
        RowLeaseKeeper rows = this.rowLeases;
        if (rows != null) {
            Instant until = rows.leasedUntil();
            List<ActivityWorkItem> claimed = rows.leases().claimActivities(this.owner, this.clock.instant(),
                    rows.duration(), free);
            // Steps' commits may have taken room meanwhile: the calls past what is left are released, not run.
            int room = takeActivityRoom(claimed.size());
            for (ActivityWorkItem item : claimed.subList(room, claimed.size())) {
                release(rows, item);
            }
            return startLeased(rows, claimed.subList(0, room), until);
        }
        Map<String, String> byResource = new LinkedHashMap<>();
        this.store.dueActivities(this.clock.instant(), free * 4)
            .forEach((id) -> byResource.put(DurableTaskResources.activity(id), id));
        if (byResource.isEmpty()) {
            return List.of();
        }
        List<CompletableFuture<?>> work = new ArrayList<>();
        for (Lease lease : this.keeper.acquire(byResource.keySet(), free)) {
            String activityId = Objects.requireNonNull(byResource.get(lease.resource()));
            Claim claim = Claim.of(lease, this.keeper);
            synchronized (this.lock) {
                this.runningActivities++;
            }
            work.add(start(claim, () -> {
                attempt(claim, activityId,
                        () -> this.store.claimActivity(activityId, lease.token(), this.clock.instant()));
                return DONE;
            }, false));
        }
        return work;
    }

    /**
     * Runs the attempts of activity calls leased on their rows, each counted in {@code runningActivities} by the
     * caller. A call whose attempt could not start (the worker is closing) is released and its room given back, and
     * the others still start: none is left leased with nothing running it.
     */
    private List<CompletableFuture<?>> startLeased(RowLeaseKeeper rows, List<ActivityWorkItem> items, Instant until) {
        List<CompletableFuture<?>> attempts = new ArrayList<>(items.size());
        for (ActivityWorkItem item : items) {
            try {
                attempts.add(startLeased(rows, item, until));
            }
            catch (RuntimeException ex) {
                logger.debug("Could not start an attempt of activity call '{}'; releasing it", item.id(), ex);
                giveActivityRoomBack(1);
                release(rows, item);
            }
        }
        return attempts;
    }

    private static void release(RowLeaseKeeper rows, ActivityWorkItem item) {
        try {
            rows.releaseActivity(item.id(), item.token());
        }
        catch (RuntimeException ex) {
            logger.debug("Could not release the lease on activity call '{}'; it expires on its own", item.id(), ex);
        }
    }

    /**
     * Runs an attempt of an activity call leased on its row, counted in {@code runningActivities} by the caller: keeps
     * its lease from now on, and frees it when the attempt records nothing.
     */
    private CompletableFuture<?> startLeased(RowLeaseKeeper rows, ActivityWorkItem item, Instant until) {
        rows.keepActivity(item.id(), item.token(), until);
        Claim claim = new Claim(DurableTaskResources.activity(item.id()), item.token(),
                () -> rows.settleActivity(item.id(), item.token()),
                () -> rows.releaseActivity(item.id(), item.token()));
        return start(claim, () -> {
            attempt(claim, item.id(), () -> Optional.of(item));
            return DONE;
        }, false);
    }

    /**
     * Runs a piece of work on a thread of its own; the returned stage completes when the work and the work it handed
     * on (the stage it returns: activity calls a step leased in its commit) are done.
     */
    private CompletableFuture<?> start(Claim claim, Supplier<CompletionStage<?>> work, boolean step) {
        CompletableFuture<?> future;
        try {
            future = CompletableFuture.supplyAsync(() -> {
                Held held = new Held(claim.resource(), claim.token());
                this.working.put(held, Thread.currentThread());
                try {
                    return work.get();
                }
                finally {
                    this.working.remove(held, Thread.currentThread());
                    done(claim, step);
                }
            }, this.threads).thenCompose((handedOn) -> handedOn);
        }
        catch (RejectedExecutionException ex) {
            done(claim, step);
            return DONE;
        }
        long id = this.workIds.incrementAndGet();
        this.inFlight.put(id, future);
        var unused = future.whenComplete((result, failure) -> this.inFlight.remove(id));
        return future;
    }

    private void done(Claim claim, boolean step) {
        try {
            claim.end();
        }
        catch (RuntimeException ex) {
            logger.debug("Could not release the lease on {}; it expires on its own", claim.resource(), ex);
        }
        synchronized (this.lock) {
            if (step) {
                this.runningSteps--;
            }
            else {
                this.runningActivities--;
            }
        }
        wake();
    }

    private CompletionStage<?> step(Claim claim, String instanceId,
            Supplier<Optional<OrchestrationWorkItem>> claimed) {
        long started = System.nanoTime();
        try {
            Optional<OrchestrationWorkItem> item = claimed.get();
            if (item.isEmpty()) {
                return DONE;
            }
            Optional<StepResult> result = this.executor.execute(item.get(), this.clock.instant());
            if (result.isEmpty()) {
                return DONE;
            }
            boolean committed = false;
            Leased leased = Leased.NONE;
            CompletionStage<?> handedOn = DONE;
            try {
                claim.ending();
                leased = commit(result.get().commit());
                committed = true;
                claim.settle();
            }
            finally {
                if (committed) {
                    // The instance cache is current before the attempts start: a fast one's next step reads it.
                    try {
                        this.executor.committed(result.get());
                    }
                    finally {
                        handedOn = leased.start();
                    }
                }
                else {
                    this.executor.notCommitted(result.get());
                }
            }
            if (result.get().ranCode()) {
                this.metrics.stepCompleted(result.get().orchestration(), Duration.ofNanos(System.nanoTime() - started),
                        result.get().replayedEvents(), result.get().status());
            }
            this.instanceListener.accept(instanceId);
            return handedOn;
        }
        catch (LeaseLostException | HistoryConflictException ex) {
            logger.info("A step of orchestration instance '{}' was not recorded: {}", instanceId, ex.getMessage());
            this.metrics.workLost("orchestration");
        }
        catch (RuntimeException ex) {
            logger.warn("A step of orchestration instance '{}' failed; its messages stay for the next step", instanceId,
                    ex);
        }
        return DONE;
    }

    /**
     * Writes a step's commit. On row leases, a commit that queues activity calls also leases as many of them as this
     * worker has room for to this worker, which runs them at once instead of claiming them (the rest stay for any
     * worker's claim); their room is taken before the commit and given back for those it did not lease.
     * @return the calls the commit leased, their room taken, to start once the step counts as committed
     */
    private Leased commit(OrchestrationCommit commit) {
        RowLeaseKeeper rows = this.rowLeases;
        int room = (rows != null) ? takeActivityRoom(commit.activities().size()) : 0;
        if (rows == null || room == 0) {
            this.store.commit(commit);
            return Leased.NONE;
        }
        List<ActivityWorkItem> leased = List.of();
        try {
            Instant until = rows.leasedUntil();
            leased = rows.leases().commitLeasingActivities(commit, this.owner, rows.duration(), room);
            List<ActivityWorkItem> calls = leased;
            return () -> CompletableFuture
                .allOf(startLeased(rows, calls, until).toArray(CompletableFuture[]::new));
        }
        finally {
            giveActivityRoomBack(room - leased.size());
        }
    }

    /** The activity calls a step's commit leased to this worker, their room taken: started once. */
    @FunctionalInterface
    private interface Leased {

        Leased NONE = () -> DONE;

        /** Starts their attempts; never throws. */
        CompletionStage<?> start();
    }

    /** Takes room for up to {@code wanted} activity attempts, none once the worker is closed. */
    private int takeActivityRoom(int wanted) {
        synchronized (this.lock) {
            if (this.closed || wanted == 0) {
                return 0;
            }
            int room = Math.max(0, Math.min(wanted, this.maxActivities - this.runningActivities));
            this.runningActivities += room;
            return room;
        }
    }

    private void giveActivityRoomBack(int room) {
        if (room > 0) {
            synchronized (this.lock) {
                this.runningActivities -= room;
            }
        }
    }

    private void attempt(Claim claim, String activityId, Supplier<Optional<ActivityWorkItem>> claimed) {
        long started = System.nanoTime();
        try {
            Optional<ActivityWorkItem> item = claimed.get();
            if (item.isEmpty()) {
                return;
            }
            ActivityDecision decision = this.activities.run(item.get());
            Duration duration = Duration.ofNanos(System.nanoTime() - started);
            claim.ending();
            boolean recorded = switch (decision) {
                case ActivityDecision.Complete complete -> {
                    boolean written = this.store.completeActivity(activityId, claim.token(), complete.outcome());
                    this.metrics.activityAttempted(item.get().name(), duration,
                            complete.succeeded() ? "completed" : "failed");
                    yield written;
                }
                case ActivityDecision.Retry retry -> {
                    boolean written = this.store.retryActivity(activityId, claim.token(), retry.nextAttempt(),
                            retry.visibleAt());
                    this.metrics.activityAttempted(item.get().name(), duration, "retried");
                    yield written;
                }
            };
            if (recorded) {
                claim.settle();
            }
            else {
                logger.info("The outcome of activity call '{}' was not recorded: another worker took it over",
                        activityId);
                this.metrics.workLost("activity");
            }
        }
        catch (RuntimeException ex) {
            logger.warn("Activity call '{}' could not be run or recorded; it runs again once its lease expires",
                    activityId, ex);
        }
    }

    private void interrupt(String resource, FencingToken token, String why) {
        Thread thread = this.working.get(new Held(resource, token));
        if (thread != null) {
            logger.info("Lost the lease on {} ({}); interrupting its work", resource, why);
            thread.interrupt();
        }
    }

    private static String defaultOwner() {
        return "durabletasks-" + ManagementFactory.getRuntimeMXBean().getName() + "-"
                + UUID.randomUUID().toString().substring(0, 8);
    }

    @Override
    public String toString() {
        return "DurableTaskWorker[" + this.owner + "]";
    }

    /** A lease of running work: its resource and token. */
    private record Held(String resource, FencingToken token) {
    }

    /**
     * A piece of work the worker holds: the resource and token of its lease, and how the lease is given up. A lease
     * from the lease store is released when the work ends; a {@linkplain RowLeaseKeeper row lease} is freed by the
     * write that ended the work ({@link #settle()}), and released at the end only when nothing was written. A row
     * lease is no longer renewed once its work starts its last write ({@link #ending()}): a renewal that met the
     * lease freed by that write would take it for lost and interrupt the write.
     */
    private static final class Claim {

        private final String resource;

        private final FencingToken token;

        private final Runnable stopRenewing;

        private final Runnable release;

        private final boolean releaseWhenSettled;

        private volatile boolean settledAlready;

        Claim(String resource, FencingToken token, Runnable stopRenewing, Runnable release) {
            this(resource, token, stopRenewing, release, false);
        }

        private Claim(String resource, FencingToken token, Runnable stopRenewing, Runnable release,
                boolean releaseWhenSettled) {
            this.resource = resource;
            this.token = token;
            this.stopRenewing = stopRenewing;
            this.release = release;
            this.releaseWhenSettled = releaseWhenSettled;
        }

        static Claim of(Lease lease, LeaseKeeper keeper) {
            return new Claim(lease.resource(), lease.token(), () -> {
            }, () -> keeper.release(lease), true);
        }

        String resource() {
            return this.resource;
        }

        FencingToken token() {
            return this.token;
        }

        /** The work starts the write that ends it. */
        void ending() {
            this.stopRenewing.run();
        }

        /** The work wrote what ends it. */
        void settle() {
            this.settledAlready = true;
        }

        /** The work ended. */
        void end() {
            if (this.releaseWhenSettled || !this.settledAlready) {
                this.release.run();
            }
        }
    }

    /**
     * Builds a {@link DurableTaskWorker}.
     */
    public static final class Builder {

        private final DurableTaskStore store;

        private final LeaseStore leases;

        private final DurableTaskRegistry registry;

        private PayloadConverter converter = new JacksonPayloadConverter();

        private Clock clock = Clock.systemUTC();

        private LeaseKeeper.@Nullable Scheduler scheduler;

        private @Nullable String owner;

        private int maxConcurrentSteps = 16;

        private int maxConcurrentActivities = 64;

        private Duration pollInterval = Duration.ofSeconds(1);

        private Duration leaseDuration = Duration.ofSeconds(30);

        private Duration stepTimeout = Duration.ofSeconds(30);

        private Duration shutdownTimeout = Duration.ofSeconds(30);

        private int historyWarnEvents = 10_000;

        private @Nullable Integer instanceCacheSize;

        private int historyMaxEvents = 50_000;

        private DurableTaskMetrics metrics = DurableTaskMetrics.NONE;

        private Consumer<String> instanceListener = (instanceId) -> {
        };

        private Builder(DurableTaskStore store, LeaseStore leases, DurableTaskRegistry registry) {
            this.store = Objects.requireNonNull(store, "store must not be null");
            this.leases = Objects.requireNonNull(leases, "leases must not be null");
            this.registry = Objects.requireNonNull(registry, "registry must not be null");
        }

        /**
         * Sets how payloads are read and written; JSON on Jackson's default mapper unless set.
         * @param converter the converter
         * @return this builder
         */
        public Builder payloadConverter(PayloadConverter converter) {
            this.converter = Objects.requireNonNull(converter, "converter must not be null");
            return this;
        }

        /**
         * Sets the clock of timers, retries, timeouts and leases; the system clock unless set.
         * @param clock the clock
         * @return this builder
         */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock must not be null");
            return this;
        }

        /**
         * Sets the scheduler of polls, lease renewals and activity timeouts; unless set, the worker waits in real
         * time on a daemon thread of its own.
         * @param scheduler the scheduler
         * @return this builder
         */
        public Builder scheduler(LeaseKeeper.Scheduler scheduler) {
            this.scheduler = Objects.requireNonNull(scheduler, "scheduler must not be null");
            return this;
        }

        /**
         * Sets who the worker's leases are held by; unique per worker. The JVM's name and a random suffix unless set.
         * @param owner the owner
         * @return this builder
         */
        public Builder owner(String owner) {
            this.owner = Objects.requireNonNull(owner, "owner must not be null");
            return this;
        }

        /**
         * Sets how many orchestration steps and activity attempts may run at once; 16 and 64 unless set.
         * @param steps the most orchestration steps
         * @param activities the most activity attempts
         * @return this builder
         */
        public Builder concurrency(int steps, int activities) {
            if (steps < 1 || activities < 1) {
                throw new IllegalArgumentException("Concurrency must be positive, was " + steps + " steps and "
                        + activities + " activities");
            }
            this.maxConcurrentSteps = steps;
            this.maxConcurrentActivities = activities;
            return this;
        }

        /**
         * Sets how often the worker looks for work it was not told of; 1 second unless set. Work due now that no
         * notice told of is found within this interval; durable timers, delayed starts and retries become visible
         * when they come due, the worker having looked ahead after a poll with room left
         * ({@link DurableTaskStore#nextVisibleAfter}), or within this interval with a store that does not tell.
         * @param pollInterval the interval, positive
         * @return this builder
         */
        public Builder pollInterval(Duration pollInterval) {
            this.pollInterval = requirePositive("pollInterval", pollInterval);
            return this;
        }

        /**
         * Sets how long a claim on work lasts unless renewed; 30 seconds unless set. A worker that dies holds its
         * work this long at most.
         * @param leaseDuration the duration
         * @return this builder
         */
        public Builder leaseDuration(Duration leaseDuration) {
            this.leaseDuration = requirePositive("leaseDuration", leaseDuration);
            return this;
        }

        /**
         * Sets how long, in real time, an orchestration's code may take for one step before the instance fails with
         * an {@code OrchestrationBlockedException}; 30 seconds unless set.
         * @param stepTimeout the timeout
         * @return this builder
         */
        public Builder stepTimeout(Duration stepTimeout) {
            this.stepTimeout = requirePositive("stepTimeout", stepTimeout);
            return this;
        }

        /**
         * Sets how long {@link DurableTaskWorker#close()} waits for running work; 30 seconds unless set.
         * @param shutdownTimeout the timeout
         * @return this builder
         */
        public Builder shutdownTimeout(Duration shutdownTimeout) {
            this.shutdownTimeout = requirePositive("shutdownTimeout", shutdownTimeout);
            return this;
        }

        /**
         * Sets the history lengths past which a warning is logged and past which an instance fails; 10,000 and
         * 50,000 unless set.
         * @param warnEvents the warning threshold
         * @param maxEvents the limit, greater than the threshold
         * @return this builder
         */
        public Builder historyLimits(int warnEvents, int maxEvents) {
            if (warnEvents < 1 || maxEvents <= warnEvents) {
                throw new IllegalArgumentException("History limits need 0 < warnEvents < maxEvents, were " + warnEvents
                        + " and " + maxEvents);
            }
            this.historyWarnEvents = warnEvents;
            this.historyMaxEvents = maxEvents;
            return this;
        }

        /**
         * Sets how many running instances the worker keeps between steps, 0 keeps none; unless set, 1,000 on Java 24
         * and later and 0 before (before Java 24, JEP 491, a virtual thread parked inside a {@code synchronized}
         * block or method pins its carrier thread, and kept code stays parked: a few kept instances whose code is
         * {@code synchronized} would take every carrier thread; {@code -Djdk.tracePinnedThreads=full} shows pinned
         * threads). A kept
         * instance's code waits, parked on its virtual thread, where its last step ended, and its next step
         * continues it there instead of replaying the history, provided the store's history is still exactly the one
         * it has seen (another worker may have advanced it). Past the size, the least recently stepped instance is
         * released: its code unwinds (its {@code finally} blocks run) and its next step replays it.
         * @param size the most instances kept, not negative
         * @return this builder
         */
        public Builder instanceCacheSize(int size) {
            if (size < 0) {
                throw new IllegalArgumentException("instanceCacheSize must not be negative, was " + size);
            }
            this.instanceCacheSize = size;
            return this;
        }

        /**
         * Sets where the worker reports what it does; nowhere unless set.
         * @param metrics the metrics
         * @return this builder
         */
        public Builder metrics(DurableTaskMetrics metrics) {
            this.metrics = Objects.requireNonNull(metrics, "metrics must not be null");
            return this;
        }

        /**
         * Sets who is told, with the instance's id, after every step the worker recorded; for clients waiting for an
         * instance in the same process.
         * @param listener the listener; fast, never throws
         * @return this builder
         */
        public Builder instanceListener(Consumer<String> listener) {
            this.instanceListener = Objects.requireNonNull(listener, "listener must not be null");
            return this;
        }

        /**
         * Builds the worker, not started.
         * @return the worker
         */
        public DurableTaskWorker build() {
            return new DurableTaskWorker(this);
        }

        private static Duration requirePositive(String name, Duration duration) {
            Objects.requireNonNull(duration, name + " must not be null");
            if (duration.isZero() || duration.isNegative()) {
                throw new IllegalArgumentException(name + " must be positive, was " + duration);
            }
            return duration;
        }
    }
}
