package dev.quark.cluster.membership.redis;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.quark.cluster.membership.MembershipProvider.Watch;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.core.task.SimpleAsyncTaskExecutor;
import org.springframework.data.redis.connection.Message;
import org.springframework.data.redis.connection.MessageListener;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.connection.SubscriptionListener;
import org.springframework.data.redis.listener.ChannelTopic;
import org.springframework.data.redis.listener.RedisMessageListenerContainer;

/**
 * One {@link RedisMembershipProvider#watch} registration: a {@link RedisMessageListenerContainer} of its own,
 * subscribed to the cluster's channel on one connection, running the listener on virtual threads. Closing it
 * unsubscribes, closes the connection and waits for running listeners.
 */
final class RedisMembershipWatch implements Watch, MessageListener, SubscriptionListener {

    /** How long {@link #start} waits for Redis to confirm the subscription. */
    static final Duration SUBSCRIBE_TIMEOUT = Duration.ofSeconds(10);

    private static final Logger logger = LoggerFactory.getLogger(RedisMembershipWatch.class);

    private final String channel;

    private final Runnable listener;

    private final SimpleAsyncTaskExecutor executor;

    private final RedisMessageListenerContainer container = new RedisMessageListenerContainer();

    private final CountDownLatch subscribed = new CountDownLatch(1);

    private final AtomicInteger subscriptions = new AtomicInteger();

    private volatile boolean closed;

    private RedisMembershipWatch(RedisConnectionFactory connectionFactory, String channel, Runnable listener) {
        this.channel = channel;
        this.listener = listener;
        this.executor = new SimpleAsyncTaskExecutor("quark-membership-watch-");
        this.executor.setVirtualThreads(true);
        this.executor.setTaskTerminationTimeout(SUBSCRIBE_TIMEOUT.toMillis());
        this.container.setConnectionFactory(connectionFactory);
        this.container.setTaskExecutor(this.executor);
        this.container.setErrorHandler((ex) -> logger.warn("A membership watch listener of {} failed", channel, ex));
        this.container.addMessageListener(this, new ChannelTopic(channel));
    }

    /**
     * Subscribes and waits for Redis to confirm it.
     * @param connectionFactory the connection factory
     * @param channel the channel
     * @param listener told of every message
     * @return the registration
     * @throws IllegalStateException when Redis did not confirm the subscription in time
     */
    static RedisMembershipWatch start(RedisConnectionFactory connectionFactory, String channel, Runnable listener) {
        RedisMembershipWatch watch = new RedisMembershipWatch(connectionFactory, channel, listener);
        try {
            watch.container.afterPropertiesSet();
            watch.container.start();
            if (!watch.subscribed.await(SUBSCRIBE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException("Redis did not confirm the subscription to the membership channel "
                        + channel + " within " + SUBSCRIBE_TIMEOUT.toSeconds() + "s");
            }
            return watch;
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            watch.close();
            throw new IllegalStateException("Interrupted while subscribing to the membership channel " + channel, ex);
        }
        catch (RuntimeException ex) {
            watch.close();
            throw ex;
        }
    }

    @Override
    public void onMessage(Message message, byte @Nullable [] pattern) {
        tell();
    }

    /**
     * Counts the confirmations: the first one ends {@link #start}; a later one follows a lost connection,
     * during which hints may have been missed, so the listener is told.
     */
    @Override
    public void onChannelSubscribed(byte[] channel, long count) {
        if (!this.channel.equals(new String(channel, StandardCharsets.UTF_8))) {
            return;
        }
        if (this.subscriptions.getAndIncrement() > 0) {
            tell();
        }
        this.subscribed.countDown();
    }

    private void tell() {
        if (!this.closed) {
            this.listener.run();
        }
    }

    @Override
    public void close() {
        this.closed = true;
        try {
            this.container.destroy();
        }
        catch (Exception ex) {
            logger.warn("Could not stop listening to the membership channel {}", this.channel, ex);
        }
        finally {
            this.executor.close();
        }
    }

    @Override
    public String toString() {
        return "RedisMembershipWatch[" + this.channel + "]";
    }
}
