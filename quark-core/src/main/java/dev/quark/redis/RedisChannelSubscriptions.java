package dev.quark.redis;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.data.redis.connection.Message;
import org.springframework.data.redis.connection.MessageListener;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.connection.SubscriptionListener;
import org.springframework.data.redis.listener.ChannelTopic;
import org.springframework.data.redis.listener.RedisMessageListenerContainer;
import org.springframework.util.backoff.ExponentialBackOff;

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
 * A first connection that fails (Redis down at start-up, which the container does not retry) is tried again after
 * {@link #FIRST_RETRY}, doubling up to {@link #MAX_RETRY}; a connection lost later is re-established by the client
 * (Lettuce reconnects and subscribes the channels again), or by the container with the same growing back-off.
 * <p>
 * No lock is held while Redis is waited for: subscriptions change at once under a short lock, and the container's calls
 * (start, {@code SUBSCRIBE}, {@code UNSUBSCRIBE}, destroy) run in order on one thread of the factory, so that a Redis
 * that does not answer delays only that factory's subscriptions. Listeners are called on virtual threads (one per
 * message or confirmation), never on the client's event loop; they must return quickly (areas hand their work off).
 * The dispatch never refuses a task, so that a message arriving while a connection closes is dropped quietly rather
 * than failing in the client's pub/sub endpoint. Factories are told apart by identity.
 */
public final class RedisChannelSubscriptions implements AutoCloseable {

    /** How long after a failed first connection it is tried again; doubled after each failure. */
    public static final Duration FIRST_RETRY = Duration.ofSeconds(1);

    /** The longest wait between two attempts to connect. */
    public static final Duration MAX_RETRY = Duration.ofSeconds(30);

    /** How long the container's start waits for Redis to confirm the channels (it does not fail when it waits longer). */
    static final Duration REGISTRATION_WAIT = Duration.ofSeconds(2);

    /** How long {@link #close()} waits for the connections to close. */
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(10);

    private static final Logger logger = LoggerFactory.getLogger(RedisChannelSubscriptions.class);

    private final String name;

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
        this.name = Objects.requireNonNull(name, "name must not be null");
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
            FactorySubscriptions subscriptions = this.factories.computeIfAbsent(connectionFactory,
                    (factory) -> new FactorySubscriptions(factory, this.name));
            Subscription subscription = new Subscription(this, subscriptions, channel, listener);
            subscriptions.add(subscription);
            return subscription;
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
         * An attempt to make the factory's connection failed before the channel was confirmed; it is tried again.
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
     * The subscription connection of one factory: its channels change at once, its container's calls run in order
     * on its own thread, where a failed first connection is retried.
     */
    private static final class FactorySubscriptions implements MessageListener, SubscriptionListener {

        private final RedisConnectionFactory connectionFactory;

        private final String name;

        private final RedisMessageListenerContainer container = new RedisMessageListenerContainer();

        /** The channels with subscriptions; changed under the registry's lock only. */
        private final Map<String, Channel> channels = new ConcurrentHashMap<>();

        /** Runs the container's calls, which may wait for Redis, one after the other, and the retries. */
        private final ScheduledThreadPoolExecutor calls;

        /** Where the container schedules its own recovery, after its back-off, rather than sleeping. */
        private final ScheduledThreadPoolExecutor recovery;

        /** Whether the dispatch drops new tasks: the connection is being closed. */
        private volatile boolean destroyed;

        /** Whether a retry of the first connection is scheduled; used on the calls' thread only. */
        private boolean retryScheduled;

        /** The wait before the next retry; used on the calls' thread only. */
        private Duration nextRetry = FIRST_RETRY;

        FactorySubscriptions(RedisConnectionFactory connectionFactory, String name) {
            this.connectionFactory = connectionFactory;
            this.name = name;
            this.calls = scheduler(name);
            this.recovery = scheduler(name + "-recovery");
            Executor dispatch = (task) -> {
                if (!this.destroyed) {
                    Thread.ofVirtual().name(name + "-dispatch").start(task);
                }
            };
            this.container.setConnectionFactory(connectionFactory);
            this.container.setTaskExecutor(dispatch);
            this.container.setSubscriptionExecutor(this.recovery);
            ExponentialBackOff backOff = new ExponentialBackOff(FIRST_RETRY.toMillis(), 2.0);
            backOff.setMaxInterval(MAX_RETRY.toMillis());
            this.container.setRecoveryBackoff(backOff);
            this.container.setErrorHandler((ex) -> logger.warn("Dispatching a Redis message failed", ex));
            this.container.setMaxSubscriptionRegistrationWaitingTime(REGISTRATION_WAIT.toMillis());
            this.container.afterPropertiesSet();
        }

        private static ScheduledThreadPoolExecutor scheduler(String name) {
            ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1,
                    Thread.ofVirtual().name(name).factory());
            // A retry still waiting when the connection closes is dropped, not waited for.
            scheduler.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
            scheduler.setContinueExistingPeriodicTasksAfterShutdownPolicy(false);
            return scheduler;
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
            call(() -> subscribe(subscription.channel));
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
            call(() -> unsubscribe(subscription.channel));
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

        private void subscribe(String channel) {
            if (this.destroyed || !this.channels.containsKey(channel)) {
                return;
            }
            try {
                this.container.addMessageListener(this, new ChannelTopic(channel));
            }
            catch (RuntimeException ex) {
                // The channel stays in the container's mapping: subscribed with the others once connected again.
                logger.debug("Could not subscribe to the Redis channel {} yet", channel, ex);
                failed(ex);
                return;
            }
            startIfStopped();
        }

        /**
         * Starts the container, which subscribes its channels and waits ({@link #REGISTRATION_WAIT} at most) for the
         * confirmations. The container does not retry a first connection that failed (only one lost later): it is
         * stopped and started again after a growing back-off, on the calls' thread, until it connects or is destroyed.
         */
        private void startIfStopped() {
            if (this.destroyed || this.retryScheduled || this.container.isRunning()) {
                return;
            }
            try {
                this.container.start();
                this.nextRetry = FIRST_RETRY;
            }
            catch (RuntimeException ex) {
                logger.debug("Could not connect the Redis subscriptions of {}; trying again in {}", this.name,
                        this.nextRetry, ex);
                try {
                    this.container.stop();
                }
                catch (RuntimeException stopping) {
                    logger.debug("Could not stop the failed Redis subscriptions", stopping);
                }
                failed(ex);
                if (this.destroyed) {
                    return;
                }
                this.retryScheduled = true;
                try {
                    this.calls.schedule(() -> {
                        this.retryScheduled = false;
                        startIfStopped();
                    }, this.nextRetry.toMillis(), TimeUnit.MILLISECONDS);
                }
                catch (RejectedExecutionException closedMeanwhile) {
                    this.retryScheduled = false;
                }
                Duration doubled = this.nextRetry.multipliedBy(2);
                this.nextRetry = (doubled.compareTo(MAX_RETRY) > 0) ? MAX_RETRY : doubled;
            }
        }

        private void failed(RuntimeException failure) {
            for (Channel channel : this.channels.values()) {
                channel.subscriptions().forEach((subscription) -> subscription.failed(failure));
            }
        }

        private void unsubscribe(String channel) {
            if (this.destroyed || this.channels.containsKey(channel)) {
                // Subscribed again meanwhile.
                return;
            }
            try {
                this.container.removeMessageListener(this, new ChannelTopic(channel));
            }
            catch (RuntimeException ex) {
                logger.warn("Could not stop listening to the Redis channel {}", channel, ex);
            }
        }

        /** Closes the connection on the calls' thread, after the calls queued before, then runs {@code done}. */
        void destroyLater(Runnable done) {
            try {
                this.calls.execute(() -> {
                    try {
                        destroy();
                    }
                    finally {
                        done.run();
                    }
                });
            }
            catch (RejectedExecutionException ex) {
                done.run();
            }
            this.calls.shutdown();
        }

        private void destroy() {
            this.destroyed = true;
            try {
                this.container.destroy();
            }
            catch (Exception ex) {
                logger.warn("Could not close a Redis subscription connection", ex);
            }
            finally {
                this.recovery.shutdownNow();
            }
        }

        boolean awaitQueuedCalls(Duration timeout) {
            CountDownLatch ran = new CountDownLatch(1);
            try {
                this.calls.execute(ran::countDown);
                return ran.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
            }
            catch (RejectedExecutionException ex) {
                return awaitDestroyed(timeout);
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                return false;
            }
        }

        boolean awaitDestroyed(Duration timeout) {
            try {
                return this.calls.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS);
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                return false;
            }
        }

        @Override
        public void onMessage(Message message, byte @Nullable [] pattern) {
            Channel channel = this.channels.get(new String(message.getChannel(), StandardCharsets.UTF_8));
            if (channel == null) {
                return;
            }
            String payload = new String(message.getBody(), StandardCharsets.UTF_8);
            channel.subscriptions().forEach((subscription) -> subscription.heard(payload));
        }

        /**
         * Counts the confirmations of a channel and tells its subscriptions: a confirmation after the first follows a
         * lost connection, during which messages may have been missed.
         */
        @Override
        public void onChannelSubscribed(byte[] channel, long count) {
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
    }
}
