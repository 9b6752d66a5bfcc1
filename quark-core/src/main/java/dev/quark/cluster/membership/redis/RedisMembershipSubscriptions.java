package dev.quark.cluster.membership.redis;

import java.nio.charset.StandardCharsets;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
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
 * The one Redis subscription connection of a connection factory in this JVM, shared by every
 * {@link RedisMembershipWatch} made on that factory: a silo's membership agent and a cluster client in one JVM, or
 * the watches of several clusters, hold one subscription connection together instead of one each. It is one
 * {@link RedisMessageListenerContainer}, subscribed to the channels that have watches, made when the first watch of
 * the factory subscribes and destroyed (its connection closed) when the last one closes. A message of a channel goes
 * to every watch of the channel; a confirmation of a channel after the first (the container subscribed again after
 * a lost connection, when hints may have been missed) tells every watch of the channel. Closing a watch leaves the
 * others subscribed, and un-subscribes its channel when it was the channel's last.
 * <p>
 * Factories are told apart by identity, as the PostgreSQL listeners tell data sources apart.
 */
final class RedisMembershipSubscriptions implements MessageListener, SubscriptionListener {

    private static final Logger logger = LoggerFactory.getLogger(RedisMembershipSubscriptions.class);

    /** The subscriptions of each factory; also the lock of every change to the channels and their watches. */
    private static final Map<RedisConnectionFactory, RedisMembershipSubscriptions> shared = new IdentityHashMap<>();

    private final RedisMessageListenerContainer container = new RedisMessageListenerContainer();

    private final Map<String, Channel> channels = new ConcurrentHashMap<>();

    private RedisMembershipSubscriptions(RedisConnectionFactory connectionFactory) {
        this.container.setConnectionFactory(connectionFactory);
        this.container.setTaskExecutor((task) -> Thread.ofVirtual().name("quark-membership-watches").start(task));
        this.container.setErrorHandler((ex) -> logger.warn("Dispatching a membership hint failed", ex));
    }

    /**
     * Adds a watch to its channel on the factory's shared subscription, subscribing the channel when it is the
     * channel's first watch (and starting the subscription when it is the factory's first).
     * @return completed when Redis confirmed the channel's subscription
     */
    static CompletableFuture<@Nullable Void> add(RedisConnectionFactory connectionFactory, String channel,
            RedisMembershipWatch watch) {
        synchronized (shared) {
            RedisMembershipSubscriptions subscriptions = shared.get(connectionFactory);
            boolean starting = subscriptions == null;
            if (subscriptions == null) {
                subscriptions = new RedisMembershipSubscriptions(connectionFactory);
            }
            Channel existing = subscriptions.channels.get(channel);
            if (existing != null) {
                existing.watches.add(watch);
                return existing.confirmed;
            }
            Channel added = new Channel();
            added.watches.add(watch);
            subscriptions.channels.put(channel, added);
            try {
                subscriptions.container.addMessageListener(subscriptions, new ChannelTopic(channel));
                if (starting) {
                    subscriptions.container.afterPropertiesSet();
                    subscriptions.container.start();
                    shared.put(connectionFactory, subscriptions);
                }
            }
            catch (RuntimeException ex) {
                subscriptions.channels.remove(channel);
                if (starting) {
                    subscriptions.destroy();
                }
                throw ex;
            }
            return added.confirmed;
        }
    }

    /**
     * Removes a watch from its channel; un-subscribes the channel when it was its last watch, and closes the
     * factory's subscription connection when it was the last watch of the factory. Idempotent.
     */
    static void remove(RedisConnectionFactory connectionFactory, String channel, RedisMembershipWatch watch) {
        synchronized (shared) {
            RedisMembershipSubscriptions subscriptions = shared.get(connectionFactory);
            if (subscriptions == null) {
                return;
            }
            Channel current = subscriptions.channels.get(channel);
            if (current == null || !current.watches.remove(watch) || !current.watches.isEmpty()) {
                return;
            }
            subscriptions.channels.remove(channel);
            if (subscriptions.channels.isEmpty()) {
                shared.remove(connectionFactory);
                subscriptions.destroy();
                return;
            }
            try {
                subscriptions.container.removeMessageListener(subscriptions, new ChannelTopic(channel));
            }
            catch (RuntimeException ex) {
                logger.warn("Could not stop listening to the membership channel {}", channel, ex);
            }
        }
    }

    /**
     * Returns how many subscription connections the watches of this JVM hold, for tests: one per connection factory
     * with at least one open watch.
     */
    static int connections() {
        synchronized (shared) {
            return shared.size();
        }
    }

    private void destroy() {
        try {
            this.container.destroy();
        }
        catch (Exception ex) {
            logger.warn("Could not stop listening to the membership channels", ex);
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
     * Counts the confirmations of a channel: the first one completes the watches' start; a later one follows a lost
     * connection, during which hints may have been missed, so every watch of the channel is told.
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
