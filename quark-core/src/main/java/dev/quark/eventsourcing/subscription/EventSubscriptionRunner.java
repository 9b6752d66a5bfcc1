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

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.quark.eventsourcing.EventFeed;
import dev.quark.eventsourcing.EventSubscriptionDefinition;
import dev.quark.lease.LeaseKeeper;
import dev.quark.lease.LeaseStore;

/**
 * Follows every declared {@link EventSubscriptionDefinition} in the background, each name on a virtual thread of its
 * own, on one node at a time.
 * <p>
 * <b>One node per name.</b> A node follows a subscription only while it holds the subscription's lease
 * ({@value #RESOURCE}{@code <name>}) in the {@link LeaseStore}, kept alive by a {@link LeaseKeeper}; the other nodes
 * stand by and try to take the lease every poll interval. A node that loses the lease stops after the event it is
 * handling; a node that dies leaves the lease to expire, and another node takes over within about the lease duration
 * (plus a poll interval), resuming after the checkpoint. A node closed gracefully releases its leases, so another
 * takes over within a poll interval. The checkpoint write itself is not fenced: a node paused past its lease (a long
 * GC pause) may handle one more event and write an older checkpoint after its successor moved on, which makes a later
 * owner deliver events again, never skip them.
 * <p>
 * <b>Following.</b> While it holds the lease, a node reads a batch after the checkpoint, hands each event to the
 * handler and saves the checkpoint after each; it reads the next batch at once while batches come full, and waits the
 * poll interval once caught up. Delivery is at least once, in feed order.
 * <p>
 * <b>Failures.</b> A handler that throws, a feed that cannot be read or a checkpoint that cannot be saved is logged at
 * WARN (subscription, stream, version, feed position, attempt), counted ({@link EventSubscriptionMetrics#failed}), and
 * tried again on the same event after a {@link SubscriptionBackoff} (doubling, bounded); the subscription never skips
 * the event, keeps its lease meanwhile, and the other subscriptions go on.
 * <p>
 * Time comes from the injected clock, which judges the leases; {@link #followOnce} runs one step of one subscription
 * synchronously, so that tests drive the runner with a manual clock and lease scheduler; {@link #start()} runs the
 * steps on background threads until {@link #close()}.
 */
public final class EventSubscriptionRunner implements AutoCloseable {

    /** The prefix of subscription lease resources. */
    public static final String RESOURCE = "eventstore:subscription:";

    private static final Logger logger = LoggerFactory.getLogger(EventSubscriptionRunner.class);

    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

    private final Map<String, SubscriptionFollower> followers = new LinkedHashMap<>();

    private final LeaseKeeper keeper;

    private final Object signal = new Object();

    private final List<Thread> threads = new ArrayList<>();

    private boolean started;

    private volatile boolean stopping;

    private EventSubscriptionRunner(Builder builder) {
        LeaseKeeper.Builder keeper = LeaseKeeper.builder(builder.leases, builder.owner)
            .duration(builder.leaseDuration)
            .clock(builder.clock)
            .listener((lease, loss) -> logger.warn("Event subscription runner '{}' lost {} ({}); it stops following "
                    + "after the current event, and the lease's next holder resumes from the checkpoint",
                    builder.owner, lease.resource(), loss));
        if (builder.scheduler != null) {
            keeper.scheduler(builder.scheduler);
        }
        this.keeper = keeper.build();
        for (EventSubscriptionDefinition definition : builder.definitions) {
            this.followers.put(definition.name(), new SubscriptionFollower(definition, RESOURCE + definition.name(),
                    builder.feed, this.keeper, builder.backoff, builder.pollInterval, builder.clock, builder.metrics));
        }
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
        return this.keeper.owner();
    }

    /**
     * Returns the names of the subscriptions this runner follows.
     * @return the names, in the order they were declared
     */
    public List<String> names() {
        return List.copyOf(this.followers.keySet());
    }

    /**
     * Returns what this node knows of each subscription.
     * @return the statuses, in the order the subscriptions were declared
     */
    public List<SubscriptionStatus> statuses() {
        return this.followers.values().stream().map(SubscriptionFollower::status).toList();
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
     * Follows every subscription on a virtual thread of its own until {@link #close()}.
     */
    public void start() {
        synchronized (this.signal) {
            if (this.started || this.stopping) {
                return;
            }
            this.started = true;
            for (SubscriptionFollower follower : this.followers.values()) {
                this.threads.add(Thread.ofVirtual()
                    .name("quark-subscription-" + follower.name())
                    .start(() -> follow(follower)));
            }
        }
        logger.info("Event subscription runner '{}' follows {}", owner(), names());
    }

    /**
     * Returns whether the runner was started and not closed.
     * @return whether it runs
     */
    public boolean isRunning() {
        synchronized (this.signal) {
            return this.started && !this.stopping;
        }
    }

    private void follow(SubscriptionFollower follower) {
        while (!this.stopping) {
            Duration delay;
            try {
                delay = follower.step();
            }
            catch (RuntimeException ex) {
                logger.warn("Event subscription '{}' failed a step; trying again shortly", follower.name(), ex);
                delay = Duration.ofSeconds(1);
            }
            if (!delay.isZero() && !pause(delay)) {
                return;
            }
        }
    }

    /**
     * Waits, in real time, unless the runner stops.
     * @return whether to go on
     */
    private boolean pause(Duration delay) {
        long deadline = System.nanoTime() + Math.min(delay.toNanos(), TimeUnit.DAYS.toNanos(1));
        synchronized (this.signal) {
            while (!this.stopping) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return true;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(this.signal, left);
                }
                catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
        }
        return false;
    }

    /**
     * Stops following: each subscription finishes the event it is handling (a handler still running after 10 seconds
     * is interrupted), then the leases are released, so that another node takes the subscriptions over within its
     * poll interval.
     */
    @Override
    public void close() {
        stopThreads();
        this.keeper.close();
    }

    /**
     * Stops following without releasing the leases: they expire on their own, as when the process dies. What a test
     * does to a node it kills.
     */
    public void halt() {
        stopThreads();
        this.keeper.halt();
    }

    private void stopThreads() {
        List<Thread> running;
        synchronized (this.signal) {
            this.stopping = true;
            this.signal.notifyAll();
            running = List.copyOf(this.threads);
        }
        this.followers.values().forEach(SubscriptionFollower::stop);
        long deadline = System.nanoTime() + STOP_TIMEOUT.toNanos();
        for (Thread thread : running) {
            try {
                if (!thread.join(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())))) {
                    logger.warn("Event subscription thread {} still runs {} after close; interrupting it: the "
                            + "subscription's next owner may handle its event again", thread.getName(), STOP_TIMEOUT);
                    thread.interrupt();
                    thread.join(STOP_TIMEOUT);
                }
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        this.followers.values().forEach(SubscriptionFollower::stopped);
    }

    private SubscriptionFollower follower(String name) {
        @Nullable SubscriptionFollower follower = this.followers.get(name);
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
     * Builds an {@link EventSubscriptionRunner}.
     */
    public static final class Builder {

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
         * @param leaseDuration the duration
         * @return this builder
         */
        public Builder leaseDuration(Duration leaseDuration) {
            this.leaseDuration = Objects.requireNonNull(leaseDuration, "leaseDuration must not be null");
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
         * @param owner the owner
         * @return this builder
         */
        public Builder owner(String owner) {
            this.owner = Objects.requireNonNull(owner, "owner must not be null");
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
         * Builds the runner; it does nothing until {@link EventSubscriptionRunner#start()} or
         * {@link EventSubscriptionRunner#followOnce}.
         * @return the runner
         */
        public EventSubscriptionRunner build() {
            return new EventSubscriptionRunner(this);
        }
    }
}
