package dev.quark.eventsourcing.subscription;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.quark.eventsourcing.EventFeed;
import dev.quark.eventsourcing.EventSubscriptionDefinition;
import dev.quark.eventsourcing.FeedPosition;
import dev.quark.lease.LeaseKeeper;
import dev.quark.lease.LeaseStore;

/**
 * Follows every declared {@link EventSubscriptionDefinition} in the background, each name on a virtual thread of its
 * own, on one node at a time.
 * <p>
 * <b>One node per name.</b> A node follows a subscription only while it holds the subscription's lease
 * ({@value #RESOURCE}{@code <name>}) in the {@link LeaseStore}, kept alive by a {@link LeaseKeeper}; the other nodes
 * stand by and try to take the lease every poll interval (with two subscriptions or more, only while below their
 * share: {@link Builder#spread}). A node that loses the lease stops after the event it is handling; a node that dies
 * leaves the lease to expire, and another node takes over within about the lease duration (plus a poll interval and,
 * spreading, a count interval), resuming after the checkpoint. A node closed gracefully releases its leases, so
 * another takes over within a poll interval (spreading: once its next count, at most a tenth of the lease duration
 * later, sees one node less; the leases of handlers that outlive the close's stop timeouts excepted: those are left
 * to expire).
 * <p>
 * <b>Fenced checkpoints.</b> The checkpoint is written with the lease's fencing token
 * ({@link EventFeed#saveCheckpoint(String, FeedPosition, dev.quark.lease.Lease)}), and a node taking a subscription
 * over first claims the checkpoint with its token ({@link EventFeed#claimCheckpoint}). So a node paused past its lease
 * (a long GC pause) that wakes up and handles one more event cannot write its older checkpoint once its successor
 * took over: the write is refused, the node logs it at WARN and stops following the subscription (it lets go of the
 * lease and stands by), and its successor's checkpoint stands. The event it handled in that pause is handled again by
 * the successor; none is skipped. A claim refused while the node's lease is still the store's current one
 * ({@link LeaseStore#check}) is no take-over: the lease store's tokens went back (a store that lost writes, a restore,
 * {@code quark.leases.backend} switched), and the node raises them above the checkpoint's stamp
 * ({@link LeaseStore#raiseTokensAbove}, through {@link dev.quark.lease.internal.LostFencingTokens}), logs it at WARN, counts it
 * ({@link EventSubscriptionMetrics#fencingTokensLost}) and claims again at once on a new lease. A node whose claim is
 * refused three times in a row right after acquiring the lease, the tokens not raised (a store that cannot raise them,
 * a feed that cannot read its stamps), turns {@link SubscriptionState#FENCED_OUT} until a claim is accepted.
 * <p>
 * <b>Following.</b> While it holds the lease, a node reads a batch after the checkpoint, hands each event to the
 * handler and saves the checkpoint after each; it reads the next batch at once while batches come full, and waits the
 * poll interval once caught up. Delivery is at least once, in feed order.
 * <p>
 * <b>Failures.</b> A handler that throws, a feed that cannot be read or a checkpoint that cannot be saved is logged at
 * WARN (subscription, stream, version, feed position, attempt), counted ({@link EventSubscriptionMetrics#failed}), and
 * tried again on the same event after a {@link SubscriptionBackoff} (doubling, bounded); the subscription never skips
 * the event, keeps its lease meanwhile, and the other subscriptions go on. Unless it has a maximum number of attempts
 * ({@link Builder#maxAttempts}, {@link EventSubscriptionDefinition#withMaxAttempts}): once its handler failed that many
 * times in a row on one event, the event is recorded as a dead letter with the checkpoint moved past it, and the
 * subscription goes on with the next ({@link #deadLetters()} to retry or discard it).
 * <p>
 * A claim of the checkpoint that fails otherwise than refused is tried again after the back-off too, but lets the lease go meanwhile (acquired again for the
 * next claim, the back-off growing across the acquisitions): held through the back-off, the lease would tell a
 * fenced-out node that this node's claim was accepted. A handler's {@link Error} counts as a failure
 * like an exception, except a {@link VirtualMachineError}; an interrupt the runner did not send (a handler throwing
 * {@link InterruptedException} or leaving the flag set) is cleared and ignored. Should a subscription's thread end
 * while the runner runs all the same (a {@link VirtualMachineError}), the subscription turns
 * {@link SubscriptionState#FAILED} and its lease is released, so that another node takes it over.
 * <p>
 * Time comes from the injected clock, which judges the leases; {@link #followOnce} runs one step of one subscription
 * synchronously, so that tests drive the runner with a manual clock and lease scheduler; {@link #start()} runs the
 * steps on background threads until {@link #close()}; a closed runner can be started again.
 */
public final class EventSubscriptionRunner implements AutoCloseable {

    /** The prefix of subscription lease resources. */
    public static final String RESOURCE = "eventstore:subscription:";

    private static final Logger logger = LoggerFactory.getLogger(EventSubscriptionRunner.class);

    private final EventFeed feed;

    private final LeaseStore leases;

    private final List<EventSubscriptionDefinition> definitions;

    private final Duration pollInterval;

    private final Duration leaseDuration;

    private final SubscriptionBackoff backoff;

    private final Clock clock;

    private final String owner;

    private final EventSubscriptionMetrics metrics;

    private final LeaseKeeper.@Nullable Scheduler scheduler;

    private final Duration stopTimeout;

    private final int maxAttempts;

    private final boolean spread;

    private final SubscriptionDeadLetters deadLetters;

    /** Guards starting and stopping; its condition wakes the pausing threads when the runner stops. */
    private final ReentrantLock lock = new ReentrantLock();

    private final Condition wake = this.lock.newCondition();

    private volatile Generation generation;

    private boolean started;

    private EventSubscriptionRunner(Builder builder) {
        this.feed = builder.feed;
        this.leases = builder.leases;
        this.definitions = builder.definitions;
        this.pollInterval = builder.pollInterval;
        this.leaseDuration = builder.leaseDuration;
        this.backoff = builder.backoff;
        this.clock = builder.clock;
        this.owner = builder.owner;
        this.metrics = builder.metrics;
        this.scheduler = builder.scheduler;
        this.stopTimeout = builder.stopTimeout;
        this.maxAttempts = builder.maxAttempts;
        this.spread = builder.spread;
        this.deadLetters = new SubscriptionDeadLetters(this.feed, this.definitions);
        this.generation = new Generation();
    }

    /**
     * Starts building a runner.
     * @param feed the global feed, where the checkpoints are kept too
     * @param leases where the subscriptions' leases are
     * @param definitions the subscriptions to follow
     * @return the builder
     * @throws IllegalArgumentException when two definitions have the same name
     */
    public static Builder builder(EventFeed feed, LeaseStore leases,
            Collection<EventSubscriptionDefinition> definitions) {
        return new Builder(feed, leases, definitions);
    }

    /**
     * Returns the owner name of this runner's leases.
     * @return the owner
     */
    public String owner() {
        return this.owner;
    }

    /**
     * Returns the names of the subscriptions this runner follows.
     * @return the names, in the order they were declared
     */
    public List<String> names() {
        return this.definitions.stream().map(EventSubscriptionDefinition::name).toList();
    }

    /**
     * Returns what this node knows of each subscription.
     * @return the statuses, in the order the subscriptions were declared
     */
    public List<SubscriptionStatus> statuses() {
        return this.generation.followers.values().stream().map(SubscriptionFollower::status).toList();
    }

    /**
     * Returns what this node knows of a subscription.
     * @param name the subscription's name
     * @return the status
     * @throws IllegalArgumentException for a name this runner does not follow
     */
    public SubscriptionStatus status(String name) {
        return follower(name).status();
    }

    /**
     * Returns the lease resources of the member slots that nodes following these subscriptions hold to count each
     * other when they spread them ({@link Builder#spread}): one per subscription, named after a digest of the names, so
     * that only nodes running the same subscriptions count each other.
     * @param names the names of the subscriptions, as declared
     * @return the slots' lease resources, none for fewer than two subscriptions
     */
    public static List<String> memberSlots(List<String> names) {
        if (names.size() < 2) {
            return List.of();
        }
        return SubscriptionShare.slots(names.stream().map((name) -> RESOURCE + name).toList());
    }

    /**
     * Returns the events this runner's subscriptions gave up on, for an operator to list, retry or discard.
     * @return the dead letters
     */
    public SubscriptionDeadLetters deadLetters() {
        return this.deadLetters;
    }

    /**
     * Runs one step of a subscription on the calling thread: takes its lease if it is free, then handles the next
     * batch; or, after a failure, does nothing until the back-off has passed. For tests with a manual clock; do not
     * call it for a subscription that {@link #start()} runs.
     * @param name the subscription's name
     * @return how long the runner would wait before the next step
     * @throws IllegalArgumentException for a name this runner does not follow
     */
    public Duration followOnce(String name) {
        return follower(name).step();
    }

    /**
     * Follows every subscription on a virtual thread of its own until {@link #close()}. Starting a runner that was
     * closed (or halted) starts it afresh: new leases, each subscription resuming from its checkpoint.
     */
    public void start() {
        this.lock.lock();
        try {
            Generation current = this.generation;
            if (this.started && !current.stopping) {
                return;
            }
            if (current.stopping) {
                current = new Generation();
                this.generation = current;
            }
            this.started = true;
            for (SubscriptionFollower follower : current.followers.values()) {
                Generation following = current;
                current.threads.put(follower.name(), Thread.ofVirtual()
                    .name("quark-subscription-" + follower.name())
                    .start(() -> follow(following, follower)));
            }
        }
        finally {
            this.lock.unlock();
        }
        logger.info("Event subscription runner '{}' follows {}", owner(), names());
    }

    /**
     * Returns whether the runner was started and not closed since.
     * @return whether it runs
     */
    public boolean isRunning() {
        this.lock.lock();
        try {
            return this.started && !this.generation.stopping;
        }
        finally {
            this.lock.unlock();
        }
    }

    /**
     * Follows one subscription until the runner stops. Its thread ends early only on a {@link Throwable} that a step
     * let through (a {@link VirtualMachineError}, or an {@link Error} of the feed): the subscription is then
     * {@link SubscriptionState#FAILED} and its lease released, so that another node takes it over rather than this one
     * keeping a lease that nobody follows.
     */
    private void follow(Generation following, SubscriptionFollower follower) {
        Throwable death = null;
        try {
            while (!following.stopping) {
                Duration delay;
                try {
                    delay = follower.step();
                }
                catch (RuntimeException ex) {
                    logger.warn("Event subscription '{}' failed a step; trying again shortly", follower.name(), ex);
                    delay = Duration.ofSeconds(1);
                }
                clearStrayInterrupt(following, follower);
                if (!delay.isZero() && !pause(following, delay)) {
                    return;
                }
            }
        }
        catch (Throwable ex) {
            death = ex;
            throw ex;
        }
        finally {
            if (!following.stopping) {
                follower.died(death);
            }
        }
    }

    /**
     * Clears an interrupt that is not the runner's: only {@link #close()} interrupts the threads, and only while
     * stopping; a flag left by a handler would otherwise end the thread's next wait and with it the subscription.
     */
    private static void clearStrayInterrupt(Generation following, SubscriptionFollower follower) {
        if (!following.stopping && Thread.interrupted()) {
            logger.warn("Event subscription '{}' found its thread interrupted while the runner runs (a handler left "
                    + "the interrupt flag set?); cleared it and goes on", follower.name());
        }
    }

    /**
     * Waits, in real time, unless the runner stops; a {@link ReentrantLock}'s condition, so that a waiting virtual
     * thread leaves its carrier.
     * @return whether to go on: {@code false} only once the runner stops
     */
    private boolean pause(Generation following, Duration delay) {
        long deadline = System.nanoTime() + Math.min(delay.toNanos(), TimeUnit.DAYS.toNanos(1));
        this.lock.lock();
        try {
            while (!following.stopping) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return true;
                }
                try {
                    this.wake.awaitNanos(left);
                }
                catch (InterruptedException ex) {
                    if (following.stopping) {
                        Thread.currentThread().interrupt();
                        return false;
                    }
                    logger.warn("Event subscription thread {} was interrupted while the runner runs; ignored",
                            Thread.currentThread().getName());
                }
            }
            return false;
        }
        finally {
            this.lock.unlock();
        }
    }

    /**
     * Stops following: each subscription finishes the event it is handling, then the leases are released, so that
     * another node takes the subscriptions over within its poll interval (spreading: within its next
     * count). Handlers still running a stop timeout (10
     * seconds unless set) after the call are interrupted; the leases of the subscriptions whose threads still run after
     * another stop timeout are not released but left to expire (a handler that ignores interrupts may still write), so that another node takes
     * those over only after the lease duration.
     */
    @Override
    public void close() {
        Generation stopped = stopThreads();
        for (String stuck : stopped.stuck) {
            stopped.keeper.lease(RESOURCE + stuck).ifPresent(stopped.keeper::forget);
        }
        stopped.keeper.close();
    }

    /**
     * Stops following without releasing the leases: they expire on their own, as when the process dies. A test hook:
     * what a test does to a node it kills.
     */
    public void halt() {
        stopThreads().keeper.halt();
    }

    private Generation stopThreads() {
        Generation stopping = this.generation;
        Map<String, Thread> running;
        this.lock.lock();
        try {
            stopping.stopping = true;
            this.wake.signalAll();
            running = new LinkedHashMap<>(stopping.threads);
        }
        finally {
            this.lock.unlock();
        }
        stopping.followers.values().forEach(SubscriptionFollower::stop);
        joinAll(running.values(), this.stopTimeout);
        running.values().removeIf((thread) -> !thread.isAlive());
        if (!running.isEmpty()) {
            logger.warn("Event subscriptions {} still run {} after close; interrupting them: their next owner may "
                    + "handle their events again", running.keySet(), this.stopTimeout);
            running.values().forEach(Thread::interrupt);
            joinAll(running.values(), this.stopTimeout);
            running.values().removeIf((thread) -> !thread.isAlive());
        }
        if (!running.isEmpty()) {
            logger.warn("Event subscriptions {} still run after being interrupted; their leases are left to expire "
                    + "rather than released, so that no other node follows them while they run", running.keySet());
        }
        stopping.stuck.addAll(running.keySet());
        stopping.followers.values().forEach(SubscriptionFollower::stopped);
        return stopping;
    }

    /** Joins the threads within one deadline shared by all. */
    private static void joinAll(Collection<Thread> threads, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (Thread thread : threads) {
            try {
                long left = deadline - System.nanoTime();
                if (left <= 0 || !thread.join(Duration.ofNanos(left))) {
                    return;
                }
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private SubscriptionFollower follower(String name) {
        @Nullable SubscriptionFollower follower = this.generation.followers.get(name);
        if (follower == null) {
            throw new IllegalArgumentException("No event subscription named '" + name + "'; this runner follows "
                    + names());
        }
        return follower;
    }

    @Override
    public String toString() {
        return "EventSubscriptionRunner[" + owner() + ", " + names() + "]";
    }

    /**
     * One run of the runner, from {@link #start()} (or building) to {@link #close()}: its keeper, its followers and
     * their threads. A runner started again after a close runs a new generation.
     */
    private final class Generation {

        private final LeaseKeeper keeper;

        private final Map<String, SubscriptionFollower> followers = new LinkedHashMap<>();

        /** Guarded by the runner's lock. */
        private final Map<String, Thread> threads = new LinkedHashMap<>();

        /** The subscriptions whose threads outlived the close. */
        private final List<String> stuck = new ArrayList<>();

        private volatile boolean stopping;

        private Generation() {
            EventSubscriptionRunner runner = EventSubscriptionRunner.this;
            LeaseKeeper.Builder builder = LeaseKeeper.builder(runner.leases, runner.owner)
                .duration(runner.leaseDuration)
                .clock(runner.clock)
                .listener((lease, loss) -> {
                    if (SubscriptionShare.isSlot(lease.resource())) {
                        logger.info("Event subscription runner '{}' lost its member slot {} ({}); it takes one again "
                                + "at its next count", runner.owner, lease.resource(), loss);
                    }
                    else {
                        logger.warn("Event subscription runner '{}' lost {} ({}); it stops following after the "
                                + "current event, and the lease's next holder resumes from the checkpoint",
                                runner.owner, lease.resource(), loss);
                    }
                });
            if (runner.scheduler != null) {
                builder.scheduler(runner.scheduler);
            }
            this.keeper = builder.build();
            List<String> resources = runner.definitions.stream().map((definition) -> RESOURCE + definition.name())
                .toList();
            SubscriptionShare share = new SubscriptionShare(runner.leases, this.keeper,
                    runner.spread ? resources : List.of(), runner.clock, refreshEvery(runner), runner.leaseDuration);
            for (EventSubscriptionDefinition definition : runner.definitions) {
                this.followers.put(definition.name(), new SubscriptionFollower(definition,
                        RESOURCE + definition.name(), runner.feed, runner.leases, this.keeper, runner.backoff,
                        runner.pollInterval, runner.leaseDuration, runner.clock, runner.metrics, runner.maxAttempts,
                        share));
            }
        }
    }

    /**
     * How often a node counts the nodes sharing the subscriptions: every poll interval, but no more than ten times a
     * lease duration (each count reads every member slot).
     */
    private static Duration refreshEvery(EventSubscriptionRunner runner) {
        Duration tenth = runner.leaseDuration.dividedBy(10);
        return (tenth.compareTo(runner.pollInterval) > 0) ? tenth : runner.pollInterval;
    }

    /**
     * Builds an {@link EventSubscriptionRunner}.
     */
    public static final class Builder {

        /** The longest owner name, the lease stores' limit. */
        public static final int MAX_OWNER_LENGTH = 255;

        private final EventFeed feed;

        private final LeaseStore leases;

        private final List<EventSubscriptionDefinition> definitions;

        private Duration pollInterval = Duration.ofSeconds(1);

        private Duration leaseDuration = Duration.ofSeconds(30);

        private SubscriptionBackoff backoff = new SubscriptionBackoff(Duration.ofSeconds(1), Duration.ofMinutes(1));

        private Clock clock = Clock.systemUTC();

        private String owner = "subscriptions-" + UUID.randomUUID();

        private EventSubscriptionMetrics metrics = EventSubscriptionMetrics.NONE;

        private LeaseKeeper.@Nullable Scheduler scheduler;

        private Duration stopTimeout = Duration.ofSeconds(10);

        private int maxAttempts = Integer.MAX_VALUE;

        private boolean spread = true;

        private Builder(EventFeed feed, LeaseStore leases, Collection<EventSubscriptionDefinition> definitions) {
            this.feed = Objects.requireNonNull(feed, "feed must not be null");
            this.leases = Objects.requireNonNull(leases, "leases must not be null");
            Objects.requireNonNull(definitions, "definitions must not be null");
            Map<String, EventSubscriptionDefinition> byName = new LinkedHashMap<>();
            for (EventSubscriptionDefinition definition : definitions) {
                EventSubscriptionDefinition earlier = byName.putIfAbsent(definition.name(), definition);
                if (earlier != null) {
                    throw new IllegalArgumentException("Event subscription name '" + definition.name() + "' is "
                            + "declared twice (" + earlier + " and " + definition + "): its checkpoint and lease are "
                            + "kept under the name, so each name needs exactly one definition");
                }
            }
            this.definitions = List.copyOf(byName.values());
        }

        /**
         * Sets how long a caught-up subscription waits before reading the feed again, and how often a standing-by
         * node tries to take a subscription's lease; 1 second unless set.
         * @param pollInterval the interval, positive
         * @return this builder
         */
        public Builder pollInterval(Duration pollInterval) {
            Objects.requireNonNull(pollInterval, "pollInterval must not be null");
            if (pollInterval.isNegative() || pollInterval.isZero()) {
                throw new IllegalArgumentException("pollInterval must be positive, was " + pollInterval);
            }
            this.pollInterval = pollInterval;
            return this;
        }

        /**
         * Sets the duration of the subscriptions' leases, about how long another node waits to take over from a
         * node that died; 30 seconds unless set.
         * @param leaseDuration the duration, at least 1 millisecond
         * @return this builder
         * @throws IllegalArgumentException naming the value when it is shorter than 1 millisecond
         */
        public Builder leaseDuration(Duration leaseDuration) {
            Objects.requireNonNull(leaseDuration, "leaseDuration must not be null");
            if (leaseDuration.compareTo(Duration.ofMillis(1)) < 0) {
                throw new IllegalArgumentException("Event subscription leaseDuration must be at least 1ms, was "
                        + leaseDuration);
            }
            this.leaseDuration = leaseDuration;
            return this;
        }

        /**
         * Sets the wait before a failed event is tried again; 1 second doubling up to 1 minute unless set.
         * @param backoff the back-off
         * @return this builder
         */
        public Builder backoff(SubscriptionBackoff backoff) {
            this.backoff = Objects.requireNonNull(backoff, "backoff must not be null");
            return this;
        }

        /**
         * Sets the clock, the one the lease store computes its leases' validity with; the system clock unless set.
         * @param clock the clock
         * @return this builder
         */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock must not be null");
            return this;
        }

        /**
         * Sets the owner name of the leases, unique per node; a random one unless set.
         * @param owner the owner, not blank, at most {@value #MAX_OWNER_LENGTH} characters
         * @return this builder
         * @throws IllegalArgumentException naming the value when it is blank or too long
         */
        public Builder owner(String owner) {
            Objects.requireNonNull(owner, "owner must not be null");
            if (owner.isBlank() || owner.length() > MAX_OWNER_LENGTH) {
                throw new IllegalArgumentException("Event subscription runner owner '" + abbreviate(owner) + "' must not be blank "
                        + "and at most " + MAX_OWNER_LENGTH + " characters long (the node id, "
                        + "quark.eventstore.subscriptions.node-id), was " + owner.length() + " characters");
            }
            this.owner = owner;
            return this;
        }

        /**
         * Sets where the runner reports.
         * @param metrics the metrics
         * @return this builder
         */
        public Builder metrics(EventSubscriptionMetrics metrics) {
            this.metrics = Objects.requireNonNull(metrics, "metrics must not be null");
            return this;
        }

        /**
         * Sets the scheduler of lease renewals (tests: a manual one); real time unless set.
         * @param scheduler the scheduler
         * @return this builder
         */
        public Builder scheduler(LeaseKeeper.Scheduler scheduler) {
            this.scheduler = Objects.requireNonNull(scheduler, "scheduler must not be null");
            return this;
        }

        /**
         * Sets how long {@link EventSubscriptionRunner#close()} waits for the handlers running to finish before it
         * interrupts them, and again after that before it gives up on them (leaving their leases to expire); 10
         * seconds unless set.
         * @param stopTimeout the timeout, positive
         * @return this builder
         */
        public Builder stopTimeout(Duration stopTimeout) {
            Objects.requireNonNull(stopTimeout, "stopTimeout must not be null");
            if (stopTimeout.isNegative() || stopTimeout.isZero()) {
                throw new IllegalArgumentException("Event subscription stopTimeout must be positive, was " + stopTimeout);
            }
            this.stopTimeout = stopTimeout;
            return this;
        }

        /**
         * Sets how many times in a row a handler may fail on one event before the event is recorded as an
         * {@link dev.quark.eventsourcing.EventDeadLetter} and the subscription goes on with the next: the default of
         * the subscriptions whose definition sets none ({@link EventSubscriptionDefinition#withMaxAttempts}). Unless
         * set, a failing event is tried again until the handler succeeds.
         * @param maxAttempts the maximum, at least 1
         * @return this builder
         * @throws IllegalArgumentException naming the value when it is below 1
         */
        public Builder maxAttempts(int maxAttempts) {
            if (maxAttempts < 1) {
                throw new IllegalArgumentException("Event subscription maxAttempts must be at least 1 "
                        + "(quark.eventstore.subscriptions.max-attempts), was " + maxAttempts);
            }
            this.maxAttempts = maxAttempts;
            return this;
        }

        /**
         * Sets whether the nodes running the same subscriptions spread them among them, each aiming at an equal share
         * (counted through {@link #memberSlots member slot} leases in the lease store; a subscription left free for a
         * lease duration and a poll interval is taken by any node), or each takes whatever is free (the first node up
         * following them all); spread unless set. Nothing changes with one subscription.
         * @param spread whether to spread
         * @return this builder
         */
        public Builder spread(boolean spread) {
            this.spread = spread;
            return this;
        }

        private static String abbreviate(String value) {
            return (value.length() <= 64) ? value : value.substring(0, 64) + "...";
        }

        /**
         * Builds the runner; it does nothing until {@link EventSubscriptionRunner#start()} or
         * {@link EventSubscriptionRunner#followOnce}.
         * @return the runner
         */
        public EventSubscriptionRunner build() {
            return new EventSubscriptionRunner(this);
        }
    }
}
