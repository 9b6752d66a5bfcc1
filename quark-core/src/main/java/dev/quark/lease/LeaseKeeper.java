package dev.quark.lease;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Holds the leases of one owner and keeps them alive: renews all of them in a round every {@code renewEvery}, in
 * batches of {@code batchSize} ({@link LeaseStore#renewAll}), tells a {@link LeaseListener} as soon as one is lost,
 * and releases the rest when closed.
 * <p>
 * A lease is lost when the store refuses its renewal ({@link LeaseLoss#RENEWAL_REFUSED}), or when its
 * {@link Lease#validUntil()} passes on the keeper's clock before a renewal succeeded ({@link LeaseLoss#EXPIRED}),
 * for instance while the store cannot be reached: the keeper wakes up at that instant for it, whatever renewals are
 * in flight. A lost lease is no longer kept; the listener is told once.
 * <p>
 * <b>Rounds run at a fixed rate and never wait for each other.</b> Each round is due {@code renewEvery} after the
 * previous one was due, however long that one takes, and starts then with every lease kept, also when earlier
 * rounds are still running: a call that hangs (a dead connection without a socket timeout) or fails slowly (a
 * connection timeout) costs only the rounds it is part of, since the next call may well get through. So with the
 * default {@code renewEvery} of a third of the duration a lease survives one failed round, with a quarter two,
 * however long the failure takes. A late answer of an earlier round is applied like any; it never shortens a lease.
 * A call that never returns holds the thread it runs on: give the store's client a timeout (a socket timeout, a
 * command timeout) shorter than {@code renewEvery}. A round that falls due more than {@code renewEvery} late (a
 * paused process) starts at once, and the next one {@code renewEvery} after it.
 * <p>
 * Whether a lease is still valid is judged on the keeper's clock ({@link Lease#isValidAt}, the expiry timer),
 * which is normally the wall clock: a node whose clock steps backwards believes in its leases for that much
 * longer, while the store, on its own clock, may already have granted them to another owner. Fencing tokens keep
 * that node's writes out; keep the nodes' clocks slewed by NTP rather than stepped.
 * <p>
 * Time comes from the injected {@link Clock} (the one the store computes {@code validUntil} with) and timed work
 * from a {@link Scheduler}; renewals run on an {@link Executor}. Tests use a manual clock and a manual scheduler, so
 * that renewals and expiry happen in virtual time:
 * <pre>{@code
 * ManualClock clock = new ManualClock();
 * ManualScheduler scheduler = new ManualScheduler(clock);
 * LeaseKeeper keeper = LeaseKeeper.builder(new InMemoryLeaseStore(clock), "node-1")
 *     .duration(Duration.ofSeconds(30))
 *     .clock(clock)
 *     .scheduler((at, task) -> scheduler.schedule(at, task)::cancel)
 *     .listener((lease, loss) -> handlers.interrupt(lease.resource()))
 *     .build();
 * }</pre>
 * Thread-safe.
 */
public final class LeaseKeeper implements AutoCloseable {

    private static final Logger logger = LoggerFactory.getLogger(LeaseKeeper.class);

    private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

    private final LeaseStore store;

    private final String owner;

    private final Duration duration;

    private final Duration renewEvery;

    private final int batchSize;

    private final Clock clock;

    private final Scheduler scheduler;

    private final Executor executor;

    private final LeaseListener listener;

    private final @Nullable ScheduledExecutorService ownScheduler;

    private final Object lock = new Object();

    private final Map<String, Lease> held = new LinkedHashMap<>();

    private boolean closed;

    private int roundsRunning;

    private Scheduler.@Nullable Cancellable renewalTimer;

    private @Nullable Instant renewalTimerAt;

    private Scheduler.@Nullable Cancellable expiryTimer;

    private @Nullable Instant expiryTimerAt;

    private LeaseKeeper(Builder builder) {
        this.store = builder.store;
        this.owner = builder.owner;
        this.duration = builder.duration;
        this.renewEvery = (builder.renewEvery != null) ? builder.renewEvery : builder.duration.dividedBy(3);
        if (this.renewEvery.isZero() || this.renewEvery.isNegative() || this.renewEvery.compareTo(this.duration) >= 0) {
            throw new IllegalArgumentException("renewEvery " + this.renewEvery + " must be positive and shorter than the "
                    + "lease duration " + this.duration);
        }
        this.batchSize = builder.batchSize;
        this.clock = builder.clock;
        this.listener = builder.listener;
        this.executor = (builder.executor != null) ? builder.executor : virtualThreads();
        if (builder.scheduler != null) {
            this.scheduler = builder.scheduler;
            this.ownScheduler = null;
        }
        else {
            this.ownScheduler = Executors.newSingleThreadScheduledExecutor(daemon());
            this.scheduler = Scheduler.of(this.clock, this.ownScheduler);
        }
    }

    /**
     * Starts building a keeper.
     * @param store where the leases are
     * @param owner the owner of every lease the keeper acquires or keeps
     * @return the builder
     */
    public static Builder builder(LeaseStore store, String owner) {
        return new Builder(store, owner);
    }

    /**
     * Returns the owner of the leases.
     * @return the owner
     */
    public String owner() {
        return this.owner;
    }

    /**
     * Returns how long each acquisition and renewal lasts.
     * @return the lease duration
     */
    public Duration duration() {
        return this.duration;
    }

    /**
     * Acquires up to {@code max} of the resources that are free ({@link LeaseStore#tryAcquireAny}) and keeps the
     * leases granted.
     * @param resources the candidates, in order of preference
     * @param max the most leases to acquire
     * @return the leases acquired
     * @throws IllegalStateException when the keeper is closed, also when it was closed while the store granted the
     * leases: they are then released
     */
    public List<Lease> acquire(Collection<String> resources, int max) {
        requireOpen();
        List<Lease> acquired = this.store.tryAcquireAny(resources, max, this.owner, this.duration);
        keepEach(acquired);
        return acquired;
    }

    /**
     * Acquires a resource if it is free and keeps the lease.
     * @param resource the resource
     * @return the lease, or empty when the resource is held
     * @throws IllegalStateException when the keeper is closed
     */
    public Optional<Lease> acquire(String resource) {
        return acquire(List.of(resource), 1).stream().findFirst();
    }

    /**
     * Keeps a lease acquired elsewhere, in place of any lease on the same resource the keeper kept.
     * @param lease the lease, of the keeper's owner
     * @throws IllegalArgumentException when the lease has another owner
     * @throws IllegalStateException when the keeper is closed; the lease is then released
     */
    public void keep(Lease lease) {
        Objects.requireNonNull(lease, "lease must not be null");
        if (!lease.owner().equals(this.owner)) {
            throw new IllegalArgumentException("Lease " + lease + " belongs to '" + lease.owner()
                    + "', not to this keeper's owner '" + this.owner + "'");
        }
        keepEach(List.of(lease));
    }

    /**
     * Keeps several leases acquired elsewhere in one step: all of them, or, when the keeper is closed, none (all are
     * then released).
     * @param leases the leases, of the keeper's owner
     * @throws IllegalArgumentException when a lease has another owner; none is kept then
     * @throws IllegalStateException when the keeper is closed; the leases are then released
     */
    public void keepAll(Collection<Lease> leases) {
        Objects.requireNonNull(leases, "leases must not be null");
        for (Lease lease : leases) {
            if (!lease.owner().equals(this.owner)) {
                throw new IllegalArgumentException("Lease " + lease + " belongs to '" + lease.owner()
                        + "', not to this keeper's owner '" + this.owner + "'");
            }
        }
        keepEach(List.copyOf(leases));
    }

    /**
     * Keeps all the leases, or releases all of them when the keeper is closed.
     */
    private void keepEach(List<Lease> leases) {
        if (leases.isEmpty()) {
            return;
        }
        synchronized (this.lock) {
            if (!this.closed) {
                leases.forEach((lease) -> this.held.put(lease.resource(), lease));
                armRenewal();
                armExpiry();
                return;
            }
        }
        releaseQuietly(leases);
        throw new IllegalStateException("LeaseKeeper of '" + this.owner + "' is closed; released " + leases);
    }

    /**
     * Stops keeping a lease and releases it.
     * @param lease the lease
     * @return whether it was still held until released ({@link LeaseStore#release})
     */
    public boolean release(Lease lease) {
        Objects.requireNonNull(lease, "lease must not be null");
        synchronized (this.lock) {
            Lease current = this.held.get(lease.resource());
            if (current != null && current.isSameLease(lease)) {
                this.held.remove(lease.resource());
                armExpiry();
            }
        }
        return this.store.release(lease);
    }

    /**
     * Stops keeping a lease without calling the store: for a lease that a write of the caller's own already ended in
     * the store (a job store that keeps its jobs' leases in their rows frees the lease in the statement that records
     * the job's outcome), so that releasing it would cost a round trip for nothing.
     * @param lease the lease
     * @return whether the keeper kept it
     */
    public boolean forget(Lease lease) {
        Objects.requireNonNull(lease, "lease must not be null");
        synchronized (this.lock) {
            Lease current = this.held.get(lease.resource());
            if (current == null || !current.isSameLease(lease)) {
                return false;
            }
            this.held.remove(lease.resource());
            armExpiry();
            return true;
        }
    }

    /**
     * Stops keeping several leases and releases them in one step on the backend ({@link LeaseStore#releaseAll}).
     * @param leases the leases
     * @return the leases that were still held until released
     */
    public List<Lease> releaseAll(Collection<Lease> leases) {
        Objects.requireNonNull(leases, "leases must not be null");
        if (leases.isEmpty()) {
            return List.of();
        }
        synchronized (this.lock) {
            for (Lease lease : leases) {
                Lease current = this.held.get(lease.resource());
                if (current != null && current.isSameLease(lease)) {
                    this.held.remove(lease.resource());
                }
            }
            armExpiry();
        }
        return this.store.releaseAll(leases);
    }

    /**
     * Returns the lease kept on a resource, with its latest {@link Lease#validUntil()}.
     * @param resource the resource
     * @return the lease, or empty when none is kept
     */
    public Optional<Lease> lease(String resource) {
        synchronized (this.lock) {
            return Optional.ofNullable(this.held.get(resource));
        }
    }

    /**
     * Returns the leases kept.
     * @return the leases, in the order they were kept
     */
    public List<Lease> leases() {
        synchronized (this.lock) {
            return List.copyOf(this.held.values());
        }
    }

    /**
     * Stops renewing and releases every lease kept, without telling the listener. Failures to release are logged:
     * the leases then expire on their own.
     */
    @Override
    public void close() {
        List<Lease> leases = stop();
        releaseQuietly(leases);
        if (this.ownScheduler != null) {
            this.ownScheduler.shutdownNow();
        }
    }

    /**
     * Stops renewing without releasing anything and without telling the listener: the leases expire in the store on
     * their own, as when the process dies. What a test does to a node it kills.
     */
    public void halt() {
        stop();
        if (this.ownScheduler != null) {
            this.ownScheduler.shutdownNow();
        }
    }

    private List<Lease> stop() {
        List<Lease> leases;
        synchronized (this.lock) {
            if (this.closed) {
                return List.of();
            }
            this.closed = true;
            cancel(this.renewalTimer);
            cancel(this.expiryTimer);
            this.renewalTimer = null;
            this.renewalTimerAt = null;
            this.expiryTimer = null;
            this.expiryTimerAt = null;
            leases = List.copyOf(this.held.values());
            this.held.clear();
        }
        return leases;
    }

    private CompletionStage<?> renewalDue() {
        List<Lease> leases;
        int earlierRounds;
        synchronized (this.lock) {
            Instant due = (this.renewalTimerAt != null) ? this.renewalTimerAt : this.clock.instant();
            this.renewalTimer = null;
            this.renewalTimerAt = null;
            if (this.closed || this.held.isEmpty()) {
                return DONE;
            }
            leases = List.copyOf(this.held.values());
            scheduleRound(nextRoundAfter(due));
            earlierRounds = this.roundsRunning++;
        }
        if (earlierRounds > 0) {
            logger.warn("Renewing the {} leases of '{}' while {} earlier rounds still run: the store answers slowly "
                    + "or a call hangs", leases.size(), this.owner, earlierRounds);
        }
        try {
            return CompletableFuture.runAsync(() -> renew(leases), this.executor);
        }
        catch (RuntimeException ex) {
            logger.warn("Could not start renewing the leases of '{}'; trying again in {}", this.owner, this.renewEvery,
                    ex);
            roundEnded();
            return DONE;
        }
    }

    /**
     * Returns when the round after one due at an instant is due: {@code renewEvery} later, or, when that has passed
     * too, {@code renewEvery} from now.
     */
    private Instant nextRoundAfter(Instant due) {
        Instant next = due.plus(this.renewEvery);
        Instant now = this.clock.instant();
        return next.isAfter(now) ? next : now.plus(this.renewEvery);
    }

    private void renew(List<Lease> leases) {
        try {
            for (int from = 0; from < leases.size(); from += this.batchSize) {
                List<Lease> batch = leases.subList(from, Math.min(leases.size(), from + this.batchSize));
                LeaseRenewal renewal;
                try {
                    renewal = this.store.renewAll(batch, this.duration);
                }
                catch (RuntimeException ex) {
                    logger.warn("Could not renew {} leases of '{}'; trying again at the next round", batch.size(),
                            this.owner, ex);
                    continue;
                }
                apply(renewal);
            }
        }
        finally {
            roundEnded();
        }
    }

    private void roundEnded() {
        synchronized (this.lock) {
            this.roundsRunning--;
        }
    }

    private void apply(LeaseRenewal renewal) {
        List<Lease> lost = new ArrayList<>();
        List<Lease> unwanted = new ArrayList<>();
        synchronized (this.lock) {
            for (Lease renewed : renewal.renewed()) {
                Lease current = this.held.get(renewed.resource());
                if (current != null && current.isSameLease(renewed)) {
                    if (renewed.validUntil().isAfter(current.validUntil())) {
                        this.held.put(renewed.resource(), renewed);
                    }
                }
                else {
                    unwanted.add(renewed);
                }
            }
            for (Lease refused : renewal.lost()) {
                Lease current = this.held.get(refused.resource());
                if (current != null && current.isSameLease(refused)) {
                    this.held.remove(refused.resource());
                    lost.add(current);
                }
            }
            armExpiry();
        }
        tell(lost, LeaseLoss.RENEWAL_REFUSED);
        // Renewed after the keeper gave them up (expired locally, released, closed): free the resources now.
        releaseQuietly(unwanted);
    }

    private CompletionStage<?> expiryDue() {
        List<Lease> expired = new ArrayList<>();
        synchronized (this.lock) {
            this.expiryTimer = null;
            this.expiryTimerAt = null;
            if (this.closed) {
                return DONE;
            }
            Instant now = this.clock.instant();
            this.held.values().removeIf((lease) -> !lease.isValidAt(now) && expired.add(lease));
            armExpiry();
        }
        tell(expired, LeaseLoss.EXPIRED);
        return DONE;
    }

    /**
     * Schedules a renewal round {@code renewEvery} from now unless one is scheduled: the first round after the keeper
     * had nothing to keep. Called holding the lock.
     */
    private void armRenewal() {
        if (this.closed || this.renewalTimer != null || this.held.isEmpty()) {
            return;
        }
        scheduleRound(this.clock.instant().plus(this.renewEvery));
    }

    /**
     * Schedules the renewal round due at an instant. Called holding the lock.
     */
    private void scheduleRound(Instant at) {
        this.renewalTimerAt = at;
        this.renewalTimer = this.scheduler.schedule(at, this::renewalDue);
    }

    /**
     * Schedules the expiry check at the earliest {@code validUntil} of the leases kept. Called holding the lock.
     */
    private void armExpiry() {
        Instant earliest = this.held.values().stream().map(Lease::validUntil).min(Instant::compareTo).orElse(null);
        if (this.closed || (earliest != null && earliest.equals(this.expiryTimerAt))) {
            return;
        }
        cancel(this.expiryTimer);
        this.expiryTimer = null;
        this.expiryTimerAt = earliest;
        if (earliest != null) {
            this.expiryTimer = this.scheduler.schedule(earliest, this::expiryDue);
        }
    }

    private void tell(List<Lease> leases, LeaseLoss loss) {
        for (Lease lease : leases) {
            try {
                this.listener.leaseLost(lease, loss);
            }
            catch (RuntimeException ex) {
                logger.warn("Lease listener failed for {} ({})", lease, loss, ex);
            }
        }
    }

    private void releaseQuietly(List<Lease> leases) {
        if (leases.isEmpty()) {
            return;
        }
        try {
            this.store.releaseAll(leases);
        }
        catch (RuntimeException ex) {
            logger.warn("Could not release {} leases of '{}'; they expire on their own", leases.size(), this.owner, ex);
        }
    }

    private void requireOpen() {
        synchronized (this.lock) {
            if (this.closed) {
                throw new IllegalStateException("LeaseKeeper of '" + this.owner + "' is closed");
            }
        }
    }

    private static void cancel(Scheduler.@Nullable Cancellable timer) {
        if (timer != null) {
            timer.cancel();
        }
    }

    private static Executor virtualThreads() {
        ThreadFactory threads = Thread.ofVirtual().name("quark-lease-keeper-", 0).factory();
        return (task) -> threads.newThread(task).start();
    }

    private static ThreadFactory daemon() {
        return Thread.ofPlatform().name("quark-lease-keeper-timer-", 0).daemon().factory();
    }

    @Override
    public String toString() {
        synchronized (this.lock) {
            return "LeaseKeeper[" + this.owner + ", " + this.held.size() + " leases"
                    + ((this.roundsRunning > 0) ? ", " + this.roundsRunning + " rounds running" : "")
                    + (this.closed ? ", closed" : "") + "]";
        }
    }

    /**
     * Runs the keeper's timed work at instants of its clock: the same shape as the runtime's
     * {@code RuntimeScheduler}, which adapts with {@code (at, task) -> runtimeScheduler.schedule(at, task)::cancel}
     * (as does the test kit's {@code ManualScheduler}), without the lease package depending on the runtime.
     */
    @FunctionalInterface
    public interface Scheduler {

        /**
         * Runs a task at an instant, or as soon as possible if it has passed.
         * @param at when to run the task
         * @param task the task; it returns a stage that completes when the work it started is done
         * @return a handle to cancel the task
         */
        Cancellable schedule(Instant at, Supplier<? extends CompletionStage<?>> task);

        /**
         * Returns a scheduler that waits in real time, on an executor, for the distance between now and the due
         * instant on a clock.
         * @param clock the clock the instants are on
         * @param executor the executor that waits; tasks only start work, so one thread is enough
         * @return the scheduler
         */
        static Scheduler of(Clock clock, ScheduledExecutorService executor) {
            Objects.requireNonNull(clock, "clock must not be null");
            Objects.requireNonNull(executor, "executor must not be null");
            return (at, task) -> {
                long delay = Math.max(0, nanosUntil(clock.instant(), at));
                ScheduledFuture<?> scheduled = executor.schedule(() -> run(task), delay, TimeUnit.NANOSECONDS);
                return () -> scheduled.cancel(false);
            };
        }

        /** Nanoseconds from one instant to another, {@code Long.MAX_VALUE} for the ~292 years and more a long misses. */
        private static long nanosUntil(Instant now, Instant at) {
            try {
                return Duration.between(now, at).toNanos();
            }
            catch (ArithmeticException ex) {
                return at.isAfter(now) ? Long.MAX_VALUE : 0;
            }
        }

        private static void run(Supplier<? extends CompletionStage<?>> task) {
            try {
                var unused = task.get();
            }
            catch (RuntimeException ex) {
                logger.error("Scheduled lease keeper task failed", ex);
            }
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

    /**
     * Builds a {@link LeaseKeeper}.
     */
    public static final class Builder {

        private final LeaseStore store;

        private final String owner;

        private Duration duration = Duration.ofSeconds(30);

        private @Nullable Duration renewEvery;

        private int batchSize = 1000;

        private Clock clock = Clock.systemUTC();

        private @Nullable Scheduler scheduler;

        private @Nullable Executor executor;

        private LeaseListener listener = (lease, loss) -> logger.warn("Lost {} ({})", lease, loss);

        private Builder(LeaseStore store, String owner) {
            this.store = Objects.requireNonNull(store, "store must not be null");
            this.owner = LeaseArguments.requireOwner(owner);
        }

        /**
         * Sets how long each acquisition and renewal lasts; 30 seconds unless set.
         * @param duration the lease duration, at least 1ms
         * @return this builder
         */
        public Builder duration(Duration duration) {
            this.duration = LeaseArguments.requireDuration(duration);
            return this;
        }

        /**
         * Sets how often the leases are renewed, at a fixed rate whatever a round takes; a third of the duration
         * unless set.
         * @param renewEvery the interval, positive and shorter than the duration
         * @return this builder
         */
        public Builder renewEvery(Duration renewEvery) {
            this.renewEvery = Objects.requireNonNull(renewEvery, "renewEvery must not be null");
            return this;
        }

        /**
         * Sets how many leases one renewal call carries; 1000 unless set.
         * @param batchSize the batch size, positive
         * @return this builder
         */
        public Builder batchSize(int batchSize) {
            if (batchSize < 1) {
                throw new IllegalArgumentException("batchSize must be positive, was " + batchSize);
            }
            this.batchSize = batchSize;
            return this;
        }

        /**
         * Sets the clock, the one the store computes {@link Lease#validUntil()} with; the system clock unless set.
         * @param clock the clock
         * @return this builder
         */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock must not be null");
            return this;
        }

        /**
         * Sets the scheduler of renewals and expiry checks; unless set, the keeper waits in real time on a daemon
         * thread of its own, stopped by {@link LeaseKeeper#close()}.
         * @param scheduler the scheduler
         * @return this builder
         */
        public Builder scheduler(Scheduler scheduler) {
            this.scheduler = Objects.requireNonNull(scheduler, "scheduler must not be null");
            return this;
        }

        /**
         * Sets where renewals run (they call the store); a new virtual thread each unless set.
         * @param executor the executor
         * @return this builder
         */
        public Builder executor(Executor executor) {
            this.executor = Objects.requireNonNull(executor, "executor must not be null");
            return this;
        }

        /**
         * Sets who is told when a lease is lost; unless set, losses are only logged.
         * @param listener the listener
         * @return this builder
         */
        public Builder listener(LeaseListener listener) {
            this.listener = Objects.requireNonNull(listener, "listener must not be null");
            return this;
        }

        /**
         * Builds the keeper.
         * @return the keeper, keeping nothing yet
         * @throws IllegalArgumentException when {@code renewEvery} is not shorter than the duration
         */
        public LeaseKeeper build() {
            return new LeaseKeeper(this);
        }
    }
}
