package dev.quark.cluster.membership.redis;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
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

/**
 * The Redis subscription connections of the membership watches ({@link RedisMembershipProvider#watch}): one per
 * connection factory, shared by every watch made on that factory through these subscriptions. A silo's membership
 * agent and a cluster client in one application, or the watches of several clusters, hold one subscription connection
 * together instead of one each. In a Spring application it is one bean, given to the application's
 * {@link RedisMembershipProvider} and closed with the context; a provider made without one has its own.
 * <p>
 * Each factory's connection is one {@link RedisMessageListenerContainer}, subscribed to the channels that have
 * watches, made when the first watch of the factory subscribes and destroyed (its connection closed) when the last
 * one closes. A message of a channel goes to every watch of the channel; a confirmation of a channel after the first
 * (the container subscribed again after a lost connection, when hints may have been missed) tells every watch of the
 * channel. Closing a watch leaves the others subscribed, and un-subscribes its channel when it was the channel's last.
 * <p>
 * No lock is held while Redis is waited for: the watches and channels change at once under a short lock, and the
 * container's calls (start, {@code SUBSCRIBE}, {@code UNSUBSCRIBE}, destroy) run in order on one thread of the factory,
 * so that a Redis server that does not answer delays only that factory's subscriptions, and a watch's start waits for
 * its confirmation no longer than {@link RedisMembershipWatch#SUBSCRIBE_TIMEOUT}. Factories are told apart by
 * identity, as the PostgreSQL listeners tell data sources apart.
 */
public final class RedisMembershipSubscriptions implements AutoCloseable {

    private static final Logger logger = LoggerFactory.getLogger(RedisMembershipSubscriptions.class);

    /** How long {@link #close()} waits for the containers to be destroyed. */
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(10);

    private final Object lock = new Object();

    /** The subscriptions of each factory with open watches; guarded by {@link #lock}. */
    private final Map<RedisConnectionFactory, FactorySubscriptions> factories = new IdentityHashMap<>();

    /** Guarded by {@link #lock}. */
    private boolean closed;

    /**
     * Creates the subscriptions; they hold no connection until a watch subscribes.
     */
    public RedisMembershipSubscriptions() {
    }

    /**
     * Adds a watch to its channel on the factory's shared subscription, subscribing the channel when it is the
     * channel's first watch (and starting the subscription when it is the factory's first).
     * @return completed when Redis confirmed the channel's subscription, or exceptionally when it could not subscribe
     * @throws IllegalStateException when these subscriptions were closed
     */
    CompletableFuture<@Nullable Void> add(RedisConnectionFactory connectionFactory, String channel,
            RedisMembershipWatch watch) {
        synchronized (this.lock) {
            if (this.closed) {
                throw new IllegalStateException("The Redis membership subscriptions were closed: cannot watch "
                        + channel);
            }
            return this.factories.computeIfAbsent(connectionFactory, FactorySubscriptions::new).add(channel, watch);
        }
    }

    /**
     * Removes a watch from its channel; un-subscribes the channel when it was its last watch, and closes the
     * factory's subscription connection when it was the last watch of the factory, both in the background.
     * Idempotent.
     */
    void remove(RedisConnectionFactory connectionFactory, String channel, RedisMembershipWatch watch) {
        synchronized (this.lock) {
            FactorySubscriptions subscriptions = this.factories.get(connectionFactory);
            if (subscriptions != null && subscriptions.remove(channel, watch)) {
                this.factories.remove(connectionFactory);
            }
        }
    }

    /**
     * Closes every subscription connection, waiting up to 10 seconds for them to close; a watch still open gets no
     * more hints, and no watch can be added any more. Idempotent.
     */
    @Override
    public void close() {
        List<FactorySubscriptions> all;
        synchronized (this.lock) {
            this.closed = true;
            all = new ArrayList<>(this.factories.values());
            this.factories.clear();
        }
        all.forEach(FactorySubscriptions::destroyLater);
        long deadline = System.nanoTime() + CLOSE_TIMEOUT.toNanos();
        for (FactorySubscriptions subscriptions : all) {
            if (!subscriptions.awaitDestroyed(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())))) {
                logger.warn("A Redis membership subscription connection did not close within {}s",
                        CLOSE_TIMEOUT.toSeconds());
            }
        }
    }

    /**
     * The subscription connection of one factory: its channels change at once, its container's calls run in order
     * on its own thread.
     */
    private static final class FactorySubscriptions implements MessageListener, SubscriptionListener {

        private final RedisMessageListenerContainer container = new RedisMessageListenerContainer();

        /** The channels with watches; changed under the registry's lock only. */
        private final Map<String, Channel> channels = new ConcurrentHashMap<>();

        /** Runs the container's calls, which may wait for Redis, one after the other. */
        private final ExecutorService calls = Executors
            .newSingleThreadExecutor(Thread.ofVirtual().name("quark-membership-subscriptions").factory());

        FactorySubscriptions(RedisConnectionFactory connectionFactory) {
            this.container.setConnectionFactory(connectionFactory);
            this.container.setTaskExecutor((task) -> Thread.ofVirtual().name("quark-membership-watches").start(task));
            this.container.setErrorHandler((ex) -> logger.warn("Dispatching a membership hint failed", ex));
            this.container.setMaxSubscriptionRegistrationWaitingTime(RedisMembershipWatch.SUBSCRIBE_TIMEOUT.toMillis());
            this.container.afterPropertiesSet();
        }

        CompletableFuture<@Nullable Void> add(String channel, RedisMembershipWatch watch) {
            Channel existing = this.channels.get(channel);
            if (existing != null) {
                existing.watches.add(watch);
                return existing.confirmed;
            }
            Channel added = new Channel();
            added.watches.add(watch);
            this.channels.put(channel, added);
            this.calls.execute(() -> subscribe(channel, added));
            return added.confirmed;
        }

        /** Returns whether the factory has no channel left: its container is being destroyed. */
        boolean remove(String channel, RedisMembershipWatch watch) {
            Channel current = this.channels.get(channel);
            if (current == null || !current.watches.remove(watch) || !current.watches.isEmpty()) {
                return false;
            }
            this.channels.remove(channel);
            if (this.channels.isEmpty()) {
                destroyLater();
                return true;
            }
            this.calls.execute(() -> unsubscribe(channel));
            return false;
        }

        private void subscribe(String channel, Channel added) {
            ChannelTopic topic = new ChannelTopic(channel);
            try {
                this.container.addMessageListener(this, topic);
                if (!this.container.isRunning()) {
                    this.container.start();
                }
            }
            catch (RuntimeException ex) {
                try {
                    this.container.removeMessageListener(this, topic);
                }
                catch (RuntimeException removing) {
                    ex.addSuppressed(removing);
                }
                added.confirmed.completeExceptionally(ex);
            }
        }

        private void unsubscribe(String channel) {
            try {
                this.container.removeMessageListener(this, new ChannelTopic(channel));
            }
            catch (RuntimeException ex) {
                logger.warn("Could not stop listening to the membership channel {}", channel, ex);
            }
        }

        void destroyLater() {
            try {
                this.calls.execute(this::destroy);
            }
            catch (RejectedExecutionException ex) {
                // Destroyed already.
            }
            this.calls.shutdown();
        }

        private void destroy() {
            try {
                this.container.destroy();
            }
            catch (Exception ex) {
                logger.warn("Could not stop listening to the membership channels", ex);
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
            if (channel != null) {
                channel.tellEveryWatch();
            }
        }

        /**
         * Counts the confirmations of a channel: the first one completes the watches' start; a later one follows a
         * lost connection, during which hints may have been missed, so every watch of the channel is told.
         */
        @Override
        public void onChannelSubscribed(byte[] channel, long count) {
            Channel subscribed = this.channels.get(new String(channel, StandardCharsets.UTF_8));
            if (subscribed == null) {
                return;
            }
            if (subscribed.confirmations.getAndIncrement() > 0) {
                subscribed.tellEveryWatch();
            }
            subscribed.confirmed.complete(null);
        }
    }

    /** A subscribed channel: its watches, and its confirmations by Redis. */
    private static final class Channel {

        private final List<RedisMembershipWatch> watches = new CopyOnWriteArrayList<>();

        private final AtomicInteger confirmations = new AtomicInteger();

        private final CompletableFuture<@Nullable Void> confirmed = new CompletableFuture<>();

        void tellEveryWatch() {
            this.watches.forEach(RedisMembershipWatch::hint);
        }
    }
}
