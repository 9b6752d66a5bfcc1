package dev.quark.redis;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.jspecify.annotations.Nullable;
import io.lettuce.core.ClientOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.data.redis.connection.Message;
import org.springframework.data.redis.connection.MessageListener;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.connection.SubscriptionListener;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.listener.ChannelTopic;
import org.springframework.data.redis.listener.RedisMessageListenerContainer;
import org.springframework.util.ClassUtils;
import org.springframework.util.backoff.FixedBackOff;

/**
 * The Redis pub/sub subscription connections of a node: ONE subscribed connection per connection factory, shared by
 * every area that listens to Redis channels (the cluster membership's watches, the jobs' and the durable tasks'
 * wake-ups), each of which {@link #subscribe subscribes} its channel with a {@link ChannelListener} of its own. In a
 * Spring application it is one bean, given to every area and closed with the context; an area made without one has
 * its own.
 * <p>
 * Each factory's connection is one {@link RedisMessageListenerContainer}, made when the factory's first channel is
 * subscribed and destroyed (its connection closed) when the factory's last {@link Subscription} closes; a channel is
 * un-subscribed when its last subscription closes, leaving the other channels subscribed. A message of a channel goes
 * to every listener of the channel. Each time Redis confirms a channel, every listener of it is told
 * ({@link ChannelListener#subscribed}): the first time, and again after the connection was lost and the channel
 * subscribed again, when messages may have been missed meanwhile (the listener then polls once).
 * <p>
 * A connection that fails to be made (Redis down at start-up), a {@code SUBSCRIBE} that fails on a running connection,
 * and a call to Redis that does not end within 30 seconds are tried again after {@link #FIRST_RETRY},
 * doubling up to {@link #MAX_RETRY}, until they succeed or the channel is un-subscribed; each factory has exactly one
 * such retry loop (the container's own recovery is off). A connection lost later is re-established by the client
 * (Lettuce reconnects and subscribes the channels again) — only by a {@code LettuceConnectionFactory} whose client
 * auto-reconnects (Lettuce's default): with any other factory (Jedis) or with {@code autoReconnect(false)}, the
 * channels stop hearing anything after a lost connection until the application restarts, and only the areas' polls
 * remain; the first subscription of such a factory logs one WARN saying so.
 * <p>
 * A confirmation that comes late is not a failure, within bounds: the areas carry on with their polls meanwhile, and
 * a late confirmation counts once it comes, as long as it comes within {@link #REGISTRATION_WAIT} (25 s) of a
 * container's start, or within {@link #OPERATION_TIMEOUT} (30 s) of a {@code SUBSCRIBE} on a running connection. Later
 * than that, the start counts as failed (tried again after the back-off), or the shared connection is replaced by a
 * new one (every channel subscribed again).
 * <p>
 * A {@code SUBSCRIBE} on a running connection that Redis never answers leaves one virtual thread parked for good
 * (Spring Data Redis's {@code addMessageListener} waits for the confirmation without a bound): it holds no lock of
 * these subscriptions, and the connection is replaced after {@link #OPERATION_TIMEOUT}. While Redis is down, Spring
 * Data Redis logs an ERROR "SubscriptionTask aborted with exception" with a stack trace at each attempt to connect (up
 * to every 30 s, {@link #MAX_RETRY}); raise the logger
 * {@code org.springframework.data.redis.listener.RedisMessageListenerContainer} to OFF to hush it.
 * <p>
 * No thread of the client or of these subscriptions waits for Redis without a bound: subscriptions change at once
 * under a short lock; the factory's calls thread only decides, and each call to the container (start,
 * {@code SUBSCRIBE}, {@code UNSUBSCRIBE}) runs on a thread of its own, one at a time per factory, given 30 seconds;
 * a container is destroyed on a thread of its own too. A Redis that does not answer delays only that factory's
 * subscriptions, and {@link #close()} still returns within its bound. Listeners are called on virtual threads (one
 * per message, confirmation or failure), never on the client's event loop; they must return quickly (areas hand their work off).
 * The dispatch never refuses a task, so that a message arriving while a connection closes is dropped quietly rather
 * than failing in the client's pub/sub endpoint. Factories are told apart by identity.
 */
public final class RedisChannelSubscriptions implements AutoCloseable {

    /** How long after a failed attempt to connect or subscribe it is tried again; doubled after each failure. */
    public static final Duration FIRST_RETRY = Duration.ofSeconds(1);

    /** The longest wait between two attempts to connect or subscribe. */
    public static final Duration MAX_RETRY = Duration.ofSeconds(30);

    /**
     * How long a container's start (on a call thread, never on the calls thread) waits for Redis to confirm the
     * channels before it counts as failed and is tried again: a confirmation later than that is not waited for.
     */
    static final Duration REGISTRATION_WAIT = Duration.ofSeconds(25);

    /** How long one call to Redis may run before its connection is given up and the call tried again. */
    static final Duration OPERATION_TIMEOUT = Duration.ofSeconds(30);

    /** How long {@link #close()} waits for the connections to close. */
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(10);

    private static final Logger logger = LoggerFactory.getLogger(RedisChannelSubscriptions.class);

    private final String name;

    /** The wait after a first failed attempt to connect or subscribe. */
    private final Duration firstRetry;

    /** The longest wait between two attempts. */
    private final Duration maxRetry;

    private final Object lock = new Object();

    /** The subscriptions of each factory with open subscriptions; guarded by {@link #lock}. */
    private final Map<RedisConnectionFactory, FactorySubscriptions> factories = new IdentityHashMap<>();

    /** The factories whose connection is being closed, which {@link #close()} waits for. */
    private final Set<FactorySubscriptions> closing = ConcurrentHashMap.newKeySet();

    /** Guarded by {@link #lock}. */
    private boolean closed;

    /**
     * Creates the subscriptions; they hold no connection until a channel is subscribed.
     */
    public RedisChannelSubscriptions() {
        this("quark-redis-subscriptions");
    }

    /**
     * Creates the subscriptions, naming their threads.
     * @param name the threads' name
     */
    public RedisChannelSubscriptions(String name) {
        this(name, FIRST_RETRY, MAX_RETRY);
    }

    /**
     * Creates the subscriptions with back-offs of their own, shorter than {@link #FIRST_RETRY} and {@link #MAX_RETRY}
     * in tests, which then wait for retries a fraction of the real time.
     */
    RedisChannelSubscriptions(String name, Duration firstRetry, Duration maxRetry) {
        this.name = Objects.requireNonNull(name, "name must not be null");
        this.firstRetry = Objects.requireNonNull(firstRetry, "firstRetry must not be null");
        this.maxRetry = Objects.requireNonNull(maxRetry, "maxRetry must not be null");
        if (firstRetry.isNegative() || firstRetry.isZero() || maxRetry.compareTo(firstRetry) < 0) {
            throw new IllegalArgumentException("The first retry must be positive and at most the longest, were "
                    + firstRetry + " and " + maxRetry);
        }
    }

    /**
     * Subscribes a listener to a channel on the factory's shared connection, and returns at once: the channel is
     * subscribed in the background (the connection made when it is the factory's first channel), and the listener
     * told once Redis confirms it ({@link ChannelListener#subscribed}), or of each failure to connect before that
     * ({@link ChannelListener#subscribeFailed}), which is retried.
     * @param connectionFactory the Redis to subscribe on
     * @param channel the channel
     * @param listener told of the channel's messages and confirmations; must return quickly
     * @return the subscription, open until closed
     * @throws IllegalStateException when these subscriptions were closed
     * @throws IllegalArgumentException when the channel is blank
     */
    public Subscription subscribe(RedisConnectionFactory connectionFactory, String channel, ChannelListener listener) {
        Objects.requireNonNull(connectionFactory, "connectionFactory must not be null");
        Objects.requireNonNull(channel, "channel must not be null");
        Objects.requireNonNull(listener, "listener must not be null");
        if (channel.isBlank()) {
            throw new IllegalArgumentException("The channel must not be blank, was '" + channel + "'");
        }
        synchronized (this.lock) {
            if (this.closed) {
                throw new IllegalStateException("The Redis channel subscriptions were closed: cannot subscribe to "
                        + channel);
            }
            FactorySubscriptions subscriptions = this.factories.get(connectionFactory);
            if (subscriptions == null) {
                subscriptions = new FactorySubscriptions(connectionFactory, this.name, this.firstRetry,
                        this.maxRetry);
                this.factories.put(connectionFactory, subscriptions);
                warnUnlessReconnecting(connectionFactory);
            }
            Subscription subscription = new Subscription(this, subscriptions, channel, listener);
            subscriptions.add(subscription);
            return subscription;
        }
    }

    /**
     * Logs one WARN when a lost subscription connection of the factory will not be re-established: only Lettuce's
     * client reconnects (and subscribes the channels again), and only with auto-reconnect on.
     */
    private static void warnUnlessReconnecting(RedisConnectionFactory connectionFactory) {
        if (LETTUCE_PRESENT && LettuceReconnects.reconnects(connectionFactory)) {
            return;
        }
        logger.warn("The Redis connection factory {} does not re-establish a lost subscription connection (only a "
                + "LettuceConnectionFactory with auto-reconnect on does): after a lost connection, the Redis pub/sub "
                + "hints (cluster membership, job and durable-task wake-ups) stop until the application restarts, and "
                + "only polling remains", connectionFactory.getClass().getName());
    }

    private static final boolean LETTUCE_PRESENT = ClassUtils.isPresent(
            "org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory",
            RedisChannelSubscriptions.class.getClassLoader())
            && ClassUtils.isPresent("io.lettuce.core.ClientOptions", RedisChannelSubscriptions.class.getClassLoader());

    /** Reads whether a factory is Lettuce's with auto-reconnect on; kept apart so that this class loads without it. */
    static final class LettuceReconnects {

        private LettuceReconnects() {
        }

        static boolean reconnects(RedisConnectionFactory connectionFactory) {
            if (!(connectionFactory instanceof LettuceConnectionFactory lettuce)) {
                return false;
            }
            // No client options: Lettuce's defaults, which reconnect.
            return lettuce.getClientConfiguration().getClientOptions().map(ClientOptions::isAutoReconnect).orElse(true);
        }
    }

    private void remove(Subscription subscription) {
        synchronized (this.lock) {
            FactorySubscriptions subscriptions = subscription.factory;
            if (subscriptions.remove(subscription) && this.factories.get(subscriptions.connectionFactory) == subscriptions) {
                this.factories.remove(subscriptions.connectionFactory);
                destroyLater(subscriptions);
            }
        }
    }

    private void destroyLater(FactorySubscriptions subscriptions) {
        this.closing.add(subscriptions);
        subscriptions.destroyLater(() -> this.closing.remove(subscriptions));
    }

    /**
     * Returns how many subscription connections are held (or being made): one per factory with open subscriptions.
     * @return the number of factories with a subscription connection
     */
    public int connections() {
        synchronized (this.lock) {
            return this.factories.size();
        }
    }

    /**
     * Waits until the calls queued so far on every factory's thread ran (the {@code UNSUBSCRIBE}s of channels whose
     * last subscription closed) and the connections whose last subscription closed are closed; the connections that
     * still have subscriptions stay open. For an application that stops: its areas leave first, then this waits, so
     * that no call reaches a connection factory that stopped.
     * @param timeout the longest wait
     * @return whether everything queued was done in time
     */
    public boolean awaitQueuedCalls(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<FactorySubscriptions> open;
        synchronized (this.lock) {
            open = new ArrayList<>(this.factories.values());
        }
        boolean done = true;
        for (FactorySubscriptions subscriptions : new ArrayList<>(this.closing)) {
            done &= subscriptions.awaitDestroyed(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
        }
        for (FactorySubscriptions subscriptions : open) {
            done &= subscriptions.awaitQueuedCalls(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
        }
        return done;
    }

    /**
     * Closes every subscription connection, waiting up to 10 seconds for them (and those closing already, after their
     * last subscription closed) to close; listeners get no more calls, and nothing can be subscribed any more.
     * Idempotent.
     */
    @Override
    public void close() {
        synchronized (this.lock) {
            this.closed = true;
            new ArrayList<>(this.factories.values()).forEach(this::destroyLater);
            this.factories.clear();
        }
        long deadline = System.nanoTime() + CLOSE_TIMEOUT.toNanos();
        for (FactorySubscriptions subscriptions : new ArrayList<>(this.closing)) {
            if (!subscriptions.awaitDestroyed(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())))) {
                logger.warn("A Redis subscription connection did not close within {}s", CLOSE_TIMEOUT.toSeconds());
            }
        }
    }

    @Override
    public String toString() {
        return "RedisChannelSubscriptions[" + this.name + ", " + connections() + " connection(s)]";
    }

    /**
     * What an area hears of its channel. Called on virtual threads of the subscriptions (several at once when
     * messages arrive quickly); a call must return quickly and throw nothing (what it throws is logged).
     */
    public interface ChannelListener {

        /**
         * A message of the channel.
         * @param payload the message's body, as UTF-8
         */
        void message(String payload);

        /**
         * Redis confirmed the channel: the first time, or again after the connection was lost, when messages may have
         * been missed meanwhile.
         * @param again whether it is not the first confirmation of this subscription
         */
        void subscribed(boolean again);

        /**
         * An attempt to subscribe the channel (or to make the factory's connection) failed before the channel was first
     * confirmed; it is tried again after a back-off.
         * @param failure why
         */
        default void subscribeFailed(RuntimeException failure) {
        }
    }

    /**
     * One listener's subscription of a channel on a factory's shared connection. Closing it un-subscribes the channel
     * when it was the channel's last, and closes the connection when it was the factory's last, in the background.
     */
    public static final class Subscription implements AutoCloseable {

        private final RedisChannelSubscriptions owner;

        private final FactorySubscriptions factory;

        private final String channel;

        private final ChannelListener listener;

        private final AtomicInteger confirmations = new AtomicInteger();

        /** Whether the listener was told of a confirmation. */
        private final AtomicBoolean told = new AtomicBoolean();

        private final AtomicBoolean open = new AtomicBoolean(true);

        private Subscription(RedisChannelSubscriptions owner, FactorySubscriptions factory, String channel,
                ChannelListener listener) {
            this.owner = owner;
            this.factory = factory;
            this.channel = channel;
            this.listener = listener;
        }

        /**
         * Returns the channel.
         * @return the channel
         */
        public String channel() {
            return this.channel;
        }

        /**
         * Returns how many times Redis confirmed the channel for this subscription: more than once after a lost
         * connection.
         * @return the number of confirmations
         */
        public int confirmations() {
            return this.confirmations.get();
        }

        /**
         * Returns whether it was not closed.
         * @return whether it is open
         */
        public boolean isOpen() {
            return this.open.get();
        }

        /**
         * Leaves the shared connection: the listener gets no more calls once those running return. Idempotent.
         */
        @Override
        public void close() {
            if (this.open.compareAndSet(true, false)) {
                this.owner.remove(this);
            }
        }

        void confirmed() {
            if (!this.open.get()) {
                return;
            }
            boolean again = this.told.getAndSet(true);
            try {
                this.listener.subscribed(again);
            }
            catch (RuntimeException ex) {
                logger.warn("A listener of the Redis channel {} failed on its subscription", this.channel, ex);
            }
            finally {
                // Counted once the listener was told, so that whoever waits for the count sees what it did.
                this.confirmations.incrementAndGet();
            }
        }

        void failed(RuntimeException failure) {
            if (!this.open.get() || this.told.get()) {
                return;
            }
            try {
                this.listener.subscribeFailed(failure);
            }
            catch (RuntimeException ex) {
                logger.warn("A listener of the Redis channel {} failed on a failed subscription", this.channel, ex);
            }
        }

        void heard(String payload) {
            if (!this.open.get()) {
                return;
            }
            try {
                this.listener.message(payload);
            }
            catch (RuntimeException ex) {
                logger.warn("A listener of the Redis channel {} failed on a message", this.channel, ex);
            }
        }

        @Override
        public String toString() {
            return "RedisChannelSubscriptions.Subscription[" + this.channel + "]";
        }
    }

    /** A subscribed channel: its subscriptions, and how many times Redis confirmed it. */
    private static final class Channel {

        /** Changed and read under this channel's monitor. */
        private final List<Subscription> subscriptions = new ArrayList<>();

        /** Guarded by this channel's monitor. */
        private int confirmations;

        synchronized List<Subscription> subscriptions() {
            return List.copyOf(this.subscriptions);
        }
    }

    /**
     * The subscription connection of one factory. Its channels change at once (under the registry's lock); what Redis
     * is to be told follows them on the factory's calls thread, which decides and never waits: each call to the
     * container (start, {@code SUBSCRIBE}, {@code UNSUBSCRIBE}) runs as one {@link Operation} on a thread of its own,
     * at most one at a time, given {@link #OPERATION_TIMEOUT} to end. While an operation runs or a retry waits, nothing
     * else is started, so that there is exactly one retry loop per factory: a failed operation (or one that did not
     * end in time) schedules the one retry, after a back-off that doubles from the first retry ({@link #FIRST_RETRY}
     * unless the subscriptions were made with another) to the longest ({@link #MAX_RETRY} likewise), and the retry brings the container in line with the channels wanted then (a channel
     * un-subscribed meanwhile is not tried again). A failed start, or an operation that did not end in time, gives
     * the container up (destroyed on a thread of its own) for a new one; a failed {@code SUBSCRIBE} on a running
     * container keeps it and subscribes the channel again. The container's own recovery is off (the retries are
     * ours alone); a connection lost later is re-established by the client (Lettuce reconnects and subscribes the
     * channels again), or, with a client that does not reconnect, not at all (see the class's description). A
     * container given up while a call to it runs is destroyed again when that call returns.
     */
    private static final class FactorySubscriptions {

        private final RedisConnectionFactory connectionFactory;

        private final String name;

        /** The channels with subscriptions; changed under the registry's lock only. */
        private final Map<String, Channel> channels = new ConcurrentHashMap<>();

        /** Decides the container's calls and schedules the retries; its tasks never wait for Redis. */
        private final ScheduledThreadPoolExecutor calls;

        /** Completed once the connection is closed (every container destroyed, or given up on). */
        private final CompletableFuture<@Nullable Void> destroyedFuture = new CompletableFuture<>();

        /** Whether the dispatch drops new tasks: the connection is being closed. */
        private volatile boolean destroyed;

        /** The container in use, or null before the first or after one was given up; set on the calls thread. */
        private volatile @Nullable Attempt attempt;

        /** The container call that runs, if any; used on the calls thread only. */
        private @Nullable Operation operation;

        /** The retry that waits, if any; used on the calls thread only. */
        private @Nullable ScheduledFuture<?> retry;

        private final Duration firstRetry;

        private final Duration maxRetry;

        /** The wait before the next retry; used on the calls thread only. */
        private Duration nextRetry;

        /** Containers being destroyed; used on the calls thread only. */
        private final List<CompletableFuture<@Nullable Void>> destroying = new ArrayList<>();

        /** Waiters for the calls thread to have nothing running; used on the calls thread only. */
        private final List<CompletableFuture<@Nullable Void>> idleWaiters = new ArrayList<>();

        FactorySubscriptions(RedisConnectionFactory connectionFactory, String name, Duration firstRetry,
                Duration maxRetry) {
            this.connectionFactory = connectionFactory;
            this.name = name;
            this.firstRetry = firstRetry;
            this.maxRetry = maxRetry;
            this.nextRetry = firstRetry;
            this.calls = new ScheduledThreadPoolExecutor(1, Thread.ofVirtual().name(name).factory());
            // A retry still waiting when the connection closes is dropped, not waited for.
            this.calls.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
            this.calls.setContinueExistingPeriodicTasksAfterShutdownPolicy(false);
        }

        void add(Subscription subscription) {
            Channel existing = this.channels.get(subscription.channel);
            if (existing != null) {
                boolean confirmedAlready;
                synchronized (existing) {
                    existing.subscriptions.add(subscription);
                    confirmedAlready = existing.confirmations > 0;
                }
                if (confirmedAlready) {
                    // The channel is subscribed: this subscription's first confirmation is the channel's.
                    dispatch(subscription::confirmed);
                }
                return;
            }
            Channel added = new Channel();
            added.subscriptions.add(subscription);
            this.channels.put(subscription.channel, added);
            call(this::reconcile);
        }

        /** Returns whether the factory has no channel left: its connection is to be closed. */
        boolean remove(Subscription subscription) {
            Channel current = this.channels.get(subscription.channel);
            if (current == null) {
                return false;
            }
            synchronized (current) {
                if (!current.subscriptions.remove(subscription) || !current.subscriptions.isEmpty()) {
                    return false;
                }
            }
            this.channels.remove(subscription.channel);
            if (this.channels.isEmpty()) {
                return true;
            }
            call(this::reconcile);
            return false;
        }

        private void dispatch(Runnable task) {
            if (!this.destroyed) {
                Thread.ofVirtual().name(this.name + "-dispatch").start(task);
            }
        }

        private void call(Runnable task) {
            try {
                this.calls.execute(task);
            }
            catch (RejectedExecutionException ex) {
                // Closed: nothing to subscribe any more.
            }
        }

        /**
         * Brings the container in line with the channels wanted, one operation at a time: starts it with every
         * channel when it has not started, else un-subscribes the channels no longer wanted and subscribes those not
         * subscribed yet. Does nothing while an operation runs or a retry waits (they call it again when they end).
         * Runs on the calls thread.
         */
        private void reconcile() {
            if (this.destroyed || this.operation != null || this.retry != null) {
                settle();
                return;
            }
            Map<String, Channel> wanted = Map.copyOf(this.channels);
            if (wanted.isEmpty()) {
                // The last subscription closed: the connection is being closed.
                settle();
                return;
            }
            Attempt existing = this.attempt;
            Attempt current = (existing != null) ? existing : new Attempt();
            this.attempt = current;
            List<String> toRemove = current.mapped.stream().filter((channel) -> !wanted.containsKey(channel)).toList();
            // A channel un-subscribed and subscribed again meanwhile is a new Channel: SUBSCRIBE it again, so that
            // Redis confirms it to its new subscriptions.
            List<String> toAdd = wanted.entrySet().stream()
                .filter((entry) -> current.subscribed.get(entry.getKey()) != entry.getValue())
                .map(Map.Entry::getKey)
                .toList();
            boolean start = !current.started;
            if (!start && toRemove.isEmpty() && toAdd.isEmpty()) {
                settle();
                return;
            }
            current.mapped.addAll(toAdd);
            Map<String, Channel> adding = new HashMap<>();
            toAdd.forEach((channel) -> adding.put(channel, wanted.get(channel)));
            Operation running = new Operation(current, start, toAdd, toRemove, adding);
            this.operation = running;
            try {
                running.deadline = this.calls.schedule(() -> overdue(running), OPERATION_TIMEOUT.toMillis(),
                        TimeUnit.MILLISECONDS);
            }
            catch (RejectedExecutionException ex) {
                return;
            }
            Thread.ofVirtual().name(this.name + "-call").start(() -> {
                RuntimeException failure = null;
                try {
                    running.run();
                }
                catch (RuntimeException ex) {
                    failure = ex;
                }
                finally {
                    destroyIfGivenUp(running.attempt);
                }
                RuntimeException failed = failure;
                call(() -> ended(running, failed));
            });
        }

        /** An operation ended: on the calls thread. */
        private void ended(Operation ended, @Nullable RuntimeException failure) {
            if (this.operation != ended) {
                // Given up on already (it did not end in time), or the connection closed.
                return;
            }
            this.operation = null;
            ScheduledFuture<?> deadline = ended.deadline;
            if (deadline != null) {
                deadline.cancel(false);
            }
            Attempt current = ended.attempt;
            current.mapped.removeAll(ended.toRemove);
            ended.toRemove.forEach(current.subscribed::remove);
            if (this.destroyed) {
                settle();
                return;
            }
            if (failure == null) {
                current.started = true;
                current.subscribed.putAll(ended.adding);
                this.nextRetry = this.firstRetry;
                reconcile();
                return;
            }
            if (ended.start) {
                logger.debug("Could not connect the Redis subscriptions of {}; trying again in {}", this.name,
                        this.nextRetry, failure);
                giveUp(current);
            }
            else {
                // The channels stay in the container's mapping: subscribed again by the retry, unless un-subscribed.
                logger.debug("Could not subscribe to the Redis channel(s) {} of {}; trying again in {}", ended.toAdd,
                        this.name, this.nextRetry, failure);
            }
            failed(ended.toAdd, failure);
            scheduleRetry();
        }

        /** An operation did not end in time: its container is given up for a new one, tried after the back-off. */
        private void overdue(Operation late) {
            if (this.operation != late || this.destroyed) {
                return;
            }
            this.operation = null;
            logger.warn("A Redis subscription call of {} ({}) did not end within {}s: its connection is replaced, "
                    + "tried again in {}", this.name, late, OPERATION_TIMEOUT.toSeconds(), this.nextRetry);
            giveUp(late.attempt);
            failed(late.toAdd, new IllegalStateException(
                    "The Redis subscription call " + late + " did not end within " + OPERATION_TIMEOUT.toSeconds() + "s"));
            scheduleRetry();
        }

        /** Schedules the one retry; on the calls thread, with no operation running and no retry waiting. */
        private void scheduleRetry() {
            if (this.retry != null) {
                settle();
                return;
            }
            try {
                this.retry = this.calls.schedule(() -> {
                    this.retry = null;
                    reconcile();
                }, this.nextRetry.toMillis(), TimeUnit.MILLISECONDS);
            }
            catch (RejectedExecutionException closedMeanwhile) {
                return;
            }
            Duration doubled = this.nextRetry.multipliedBy(2);
            this.nextRetry = (doubled.compareTo(this.maxRetry) > 0) ? this.maxRetry : doubled;
            settle();
        }

        /** Stops using a container: destroyed on a thread of its own, since a stuck call may hold its lock. */
        private void giveUp(Attempt given) {
            given.givenUp = true;
            if (this.attempt == given) {
                this.attempt = null;
            }
            CompletableFuture<@Nullable Void> destroyedContainer = new CompletableFuture<>();
            this.destroying.removeIf(CompletableFuture::isDone);
            this.destroying.add(destroyedContainer);
            Thread.ofVirtual().name(this.name + "-close").start(() -> {
                try {
                    given.container.destroy();
                }
                catch (Exception ex) {
                    logger.warn("Could not close a Redis subscription connection of {}", this.name, ex);
                }
                finally {
                    destroyedContainer.complete(null);
                }
            });
        }

        /**
         * Destroys a container again once a call to it returned, when it was given up meanwhile: a destroy that ran
         * while the start was still before listening (or in its synchronous {@code SUBSCRIBE}) found nothing to
         * close, and the start then connected. On the call's thread.
         */
        private void destroyIfGivenUp(Attempt called) {
            if (!called.givenUp) {
                return;
            }
            try {
                called.container.destroy();
            }
            catch (Exception ex) {
                logger.warn("Could not close a Redis subscription connection of {}", this.name, ex);
            }
        }

        private void failed(List<String> channels, RuntimeException failure) {
            for (String name : channels) {
                Channel channel = this.channels.get(name);
                if (channel != null) {
                    channel.subscriptions().forEach((subscription) -> dispatch(() -> subscription.failed(failure)));
                }
            }
        }

        /** Tells whoever waits for the calls to be done, when nothing runs. On the calls thread. */
        private void settle() {
            if (this.operation == null && !this.idleWaiters.isEmpty()) {
                this.idleWaiters.forEach((waiter) -> waiter.complete(null));
                this.idleWaiters.clear();
            }
        }

        /**
         * Closes the connection: the running operation and the waiting retry are dropped, the container destroyed on
         * a thread of its own (never on the calls thread, which a stuck call must not hold), then {@code done} runs.
         */
        void destroyLater(Runnable done) {
            this.destroyed = true;
            this.destroyedFuture.whenComplete((ignored, failure) -> done.run());
            try {
                this.calls.execute(() -> {
                    this.operation = null;
                    ScheduledFuture<?> waiting = this.retry;
                    if (waiting != null) {
                        waiting.cancel(false);
                        this.retry = null;
                    }
                    Attempt current = this.attempt;
                    if (current != null) {
                        giveUp(current);
                    }
                    settle();
                    CompletableFuture.allOf(this.destroying.toArray(CompletableFuture[]::new))
                        .whenComplete((ignored, failure) -> this.destroyedFuture.complete(null));
                    this.calls.shutdown();
                });
            }
            catch (RejectedExecutionException ex) {
                this.destroyedFuture.complete(null);
            }
        }

        boolean awaitQueuedCalls(Duration timeout) {
            CompletableFuture<@Nullable Void> idle = new CompletableFuture<>();
            try {
                this.calls.execute(() -> {
                    this.idleWaiters.add(idle);
                    settle();
                });
            }
            catch (RejectedExecutionException ex) {
                return awaitDestroyed(timeout);
            }
            return await(idle, timeout);
        }

        boolean awaitDestroyed(Duration timeout) {
            return await(this.destroyedFuture, timeout);
        }

        private static boolean await(CompletableFuture<@Nullable Void> future, Duration timeout) {
            try {
                future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                return true;
            }
            catch (TimeoutException | ExecutionException ex) {
                return false;
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                return false;
            }
        }

        /** Hears a message of a channel: every subscription of the channel is told. */
        private void heard(Message message) {
            Channel channel = this.channels.get(new String(message.getChannel(), StandardCharsets.UTF_8));
            if (channel == null) {
                return;
            }
            String payload = new String(message.getBody(), StandardCharsets.UTF_8);
            channel.subscriptions().forEach((subscription) -> subscription.heard(payload));
        }

        /**
         * Counts the confirmations of a channel and tells its subscriptions: a confirmation after the first follows a
         * lost connection (or a replaced one), during which messages may have been missed.
         */
        private void confirmed(byte[] channel) {
            Channel subscribed = this.channels.get(new String(channel, StandardCharsets.UTF_8));
            if (subscribed == null) {
                return;
            }
            List<Subscription> told;
            synchronized (subscribed) {
                subscribed.confirmations++;
                told = List.copyOf(subscribed.subscriptions);
            }
            told.forEach(Subscription::confirmed);
        }

        /**
         * One container of the factory, and what was asked of it: replaced by a new one when given up. Messages and
         * confirmations of a container given up are dropped (its connection is being closed).
         */
        private final class Attempt implements MessageListener, SubscriptionListener {

            private final RedisMessageListenerContainer container = new RedisMessageListenerContainer();

            /** The channels in the container's mapping; used on the calls thread only. */
            private final Set<String> mapped = new HashSet<>();

            /**
             * The channels whose {@code SUBSCRIBE} (or the start) returned, with the {@link Channel} they were
             * subscribed for; used on the calls thread only.
             */
            private final Map<String, Channel> subscribed = new HashMap<>();

            /** Whether the container's start returned; used on the calls thread only. */
            private boolean started;

            /**
             * Whether the container was given up (and destroyed); read by a call that returns after it, whose
             * container may have connected after the destroy found nothing to close.
             */
            private volatile boolean givenUp;

            Attempt() {
                String threads = FactorySubscriptions.this.name;
                Executor dispatch = (task) -> {
                    if (!FactorySubscriptions.this.destroyed) {
                        Thread.ofVirtual().name(threads + "-dispatch").start(task);
                    }
                };
                this.container.setConnectionFactory(FactorySubscriptions.this.connectionFactory);
                this.container.setTaskExecutor(dispatch);
                this.container.setSubscriptionExecutor((task) -> Thread.ofVirtual().name(threads + "-subscriber")
                    .start(task));
                // No recovery of the container's own: the factory's retry is the only one.
                this.container.setRecoveryBackoff(new FixedBackOff(0, 0));
                this.container.setErrorHandler((ex) -> logger.warn("Dispatching a Redis message failed", ex));
                this.container.setMaxSubscriptionRegistrationWaitingTime(REGISTRATION_WAIT.toMillis());
                this.container.afterPropertiesSet();
            }

            private boolean current() {
                return FactorySubscriptions.this.attempt == this;
            }

            @Override
            public void onMessage(Message message, byte @Nullable [] pattern) {
                if (current()) {
                    heard(message);
                }
            }

            @Override
            public void onChannelSubscribed(byte[] channel, long count) {
                if (current()) {
                    confirmed(channel);
                }
            }
        }

        /**
         * One call to a container, on a thread of its own: either starts the container with {@code toAdd} (the
         * container subscribes them and waits for Redis to confirm them, at most {@link #REGISTRATION_WAIT}) or
         * subscribes them on the running container (where the container waits for the confirmation without a bound
         * of its own: the operation's deadline is the bound), then un-subscribes {@code toRemove}.
         */
        private static final class Operation {

            private final Attempt attempt;

            private final boolean start;

            private final List<String> toAdd;

            private final List<String> toRemove;

            /** The channels of {@code toAdd}, as they were when the operation began. */
            private final Map<String, Channel> adding;

            /** Set on the calls thread before the operation runs. */
            private @Nullable ScheduledFuture<?> deadline;

            Operation(Attempt attempt, boolean start, List<String> toAdd, List<String> toRemove,
                    Map<String, Channel> adding) {
                this.attempt = attempt;
                this.start = start;
                this.toAdd = toAdd;
                this.toRemove = toRemove;
                this.adding = adding;
            }

            void run() {
                RedisMessageListenerContainer container = this.attempt.container;
                List<ChannelTopic> topics = this.toAdd.stream().map(ChannelTopic::new).toList();
                try {
                    if (this.start) {
                        // Not running: only mapped here, subscribed by the start.
                        if (!topics.isEmpty()) {
                            container.addMessageListener(this.attempt, topics);
                        }
                        container.start();
                    }
                    else if (!topics.isEmpty()) {
                        container.addMessageListener(this.attempt, topics);
                    }
                }
                finally {
                    // After the additions, so that the container never runs out of channels and closes meanwhile.
                    for (String channel : this.toRemove) {
                        try {
                            container.removeMessageListener(this.attempt, new ChannelTopic(channel));
                        }
                        catch (RuntimeException ex) {
                            logger.warn("Could not stop listening to the Redis channel {}", channel, ex);
                        }
                    }
                }
            }

            @Override
            public String toString() {
                return (this.start ? "start with " : "subscribe ") + this.toAdd
                        + (this.toRemove.isEmpty() ? "" : ", un-subscribe " + this.toRemove);
            }
        }
    }
}
