package dev.quark.durabletasks.store.redis;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

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
 * Wakes a worker when another node makes durable-task work due: subscribes, on one connection of its own (a
 * {@link RedisMessageListenerContainer} over the store's connection factory, Lettuce by default), to the channel a
 * notifying {@link RedisDurableTaskStore} publishes on ({@link RedisDurableTaskStore#channel()}), and runs the wake-up
 * (the worker's {@code wake()}, which polls at once) for a notice of work due now, or the timed wake-up (the worker's
 * {@code wakeAt(Instant)}) for a notice of work visible later ({@code origin dueEpochMillis}). Notices that start with
 * the given origin (the node's own store's, {@link RedisDurableTaskStore#origin()}) are skipped: the node's worker
 * polls after its own writes anyway.
 * <p>
 * Each time Redis confirms the subscription, the first included, the worker polls once (a poll that finds no work
 * looks when work next becomes visible), since notices published before it (or while the connection was lost) were
 * missed. The worker's poll interval stays the safety net: pub/sub is fire and forget.
 * <p>
 * {@link #start()} never waits for Redis: the container subscribes on a virtual thread of its own, and when Redis is
 * down or slow it retries (with its back-off) on a scheduler of its own rather than sleeping; a first subscription
 * that failed (which the container does not retry) is tried again every 5 seconds. A failure to subscribe is logged
 * once (WARN) and the subscription (INFO).
 * <p>
 * Requires Spring Data Redis.
 */
public final class RedisDurableTaskWakeUps implements AutoCloseable {

    private static final Logger logger = LoggerFactory.getLogger(RedisDurableTaskWakeUps.class);

    /** How long {@link #close()} waits for a listener that is waking the worker. */
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

    /** How long after a failed first subscription it tries again (the container's own back-off is 5 seconds). */
    private static final Duration RETRY = Duration.ofSeconds(5);

    private final String channel;

    private final String origin;

    private final Runnable wake;

    private final Consumer<Instant> wakeAt;

    private final SimpleAsyncTaskExecutor executor;

    /** Where the container retries a failed subscription, after its back-off, rather than sleeping. */
    private final ScheduledExecutorService subscriptions;

    private final RedisMessageListenerContainer container = new RedisMessageListenerContainer();

    private final Object lock = new Object();

    private final AtomicInteger confirmations = new AtomicInteger();

    private final AtomicInteger notices = new AtomicInteger();

    /** Whether a failure to subscribe was logged (at WARN, once). */
    private volatile boolean failureLogged;

    /** The thread that starts the container, until it is done. */
    private volatile @Nullable Thread starting;

    private volatile boolean started;

    private volatile boolean closed;

    /**
     * Creates the wake-ups; they subscribe once {@link #start() started}.
     * @param connectionFactory the store's Redis
     * @param channel the channel the store publishes on
     * @param origin the notices to skip: those of the node's own store ({@link RedisDurableTaskStore#origin()}), or
     * {@code ""} to skip none
     * @param wake what wakes the worker, for instance {@code worker::wake}; it must return quickly
     * @param wakeAt what wakes the worker when work becomes visible later, for instance {@code worker::wakeAt}; it
     * must return quickly
     */
    public RedisDurableTaskWakeUps(RedisConnectionFactory connectionFactory, String channel, String origin,
            Runnable wake, Consumer<Instant> wakeAt) {
        Objects.requireNonNull(connectionFactory, "connectionFactory must not be null");
        this.channel = Objects.requireNonNull(channel, "channel must not be null");
        if (channel.isBlank()) {
            throw new IllegalArgumentException(
                    "The channel of durable-task wake-ups must not be blank, was '" + channel + "'");
        }
        this.origin = Objects.requireNonNull(origin, "origin must not be null");
        if (origin.contains(" ")) {
            throw new IllegalArgumentException(
                    "The origin of durable-task notices must not contain a space, was '" + origin + "'");
        }
        this.wake = Objects.requireNonNull(wake, "wake must not be null");
        this.wakeAt = Objects.requireNonNull(wakeAt, "wakeAt must not be null");
        this.executor = new SimpleAsyncTaskExecutor("quark-durabletasks-wake-ups-");
        this.executor.setVirtualThreads(true);
        this.executor.setTaskTerminationTimeout(STOP_TIMEOUT.toMillis());
        this.container.setConnectionFactory(connectionFactory);
        this.container.setTaskExecutor(this.executor);
        this.subscriptions = Executors.newSingleThreadScheduledExecutor(
                Thread.ofVirtual().name("quark-durabletasks-wake-ups-subscription-", 0).factory());
        this.container.setSubscriptionExecutor(this.subscriptions);
        this.container.setErrorHandler((ex) -> logger.warn("Waking the durable-task worker from {} failed", channel, ex));
        Listener listener = new Listener();
        this.container.addMessageListener(listener, new ChannelTopic(channel));
    }

    /**
     * Creates the wake-ups of a notifying store's worker on another node, skipping the store's own notices.
     * @param store the node's store, which publishes
     * @param wake what wakes the worker, for instance {@code worker::wake}; it must return quickly
     * @param wakeAt what wakes the worker when work becomes visible later, for instance {@code worker::wakeAt}
     * @return the wake-ups, not started
     */
    public static RedisDurableTaskWakeUps of(RedisDurableTaskStore store, Runnable wake, Consumer<Instant> wakeAt) {
        return new RedisDurableTaskWakeUps(store.connectionFactory(), store.channel(), store.origin(), wake, wakeAt);
    }

    /**
     * Starts subscribing, on a virtual thread of its own, and returns at once: it does not wait for Redis. A failure
     * to subscribe is logged (WARN, once) and tried again every 5 seconds; {@link #isSubscribed()} tells when Redis
     * confirmed the subscription.
     * @throws IllegalStateException when it was closed
     */
    public void start() {
        synchronized (this.lock) {
            if (this.closed) {
                throw new IllegalStateException(this + " was closed; it starts once");
            }
            if (this.started) {
                return;
            }
            this.started = true;
            this.container.afterPropertiesSet();
            this.starting = Thread.ofVirtual().name("quark-durabletasks-wake-ups-start").start(this::subscribe);
        }
    }

    /**
     * Starts the container, which subscribes and waits (2 seconds at most) for the confirmation. The container does
     * not retry a first subscription that failed (only one lost later): it is stopped and started again after
     * {@link #RETRY}, on the scheduler, until it subscribes or is closed.
     */
    private void subscribe() {
        try {
            this.container.start();
        }
        catch (RuntimeException ex) {
            if (this.closed) {
                return;
            }
            failed(ex);
            try {
                this.container.stop();
            }
            catch (RuntimeException stopFailure) {
                logger.debug("Could not stop the failed subscription to {}", this.channel, stopFailure);
            }
            try {
                this.subscriptions.schedule(() -> {
                    if (!this.closed) {
                        subscribe();
                    }
                }, RETRY.toMillis(), TimeUnit.MILLISECONDS);
            }
            catch (RejectedExecutionException closedMeanwhile) {
                // closed: nothing to retry
            }
        }
        finally {
            this.starting = null;
        }
    }

    private void failed(Throwable ex) {
        if (this.failureLogged || isSubscribed()) {
            logger.debug("Subscribing to the durable-task channel {} failed", this.channel, ex);
            return;
        }
        this.failureLogged = true;
        logger.warn("Could not subscribe to the durable-task channel {} yet ({}): other nodes' work waits for the "
                + "worker's next poll until it subscribes", this.channel, ex.toString());
    }

    /**
     * Returns whether Redis confirmed the subscription at least once: from then on other nodes' work wakes the worker
     * (while the connection holds).
     * @return whether it subscribed
     */
    public boolean isSubscribed() {
        return this.confirmations.get() > 0;
    }

    /**
     * Returns how many times Redis confirmed the subscription: more than once after a lost connection.
     * @return the number of confirmations
     */
    public int subscriptions() {
        return this.confirmations.get();
    }

    /**
     * Returns how many notices of other nodes woke the worker (the node's own skipped), for diagnostics.
     * @return the number of notices heard
     */
    public int notices() {
        return this.notices.get();
    }

    /**
     * Returns whether it listens (or tries to, its connection lost).
     * @return whether it was started and not closed
     */
    public boolean isRunning() {
        return this.started && !this.closed;
    }

    /**
     * Returns the channel it listens to.
     * @return the channel
     */
    public String channel() {
        return this.channel;
    }

    /**
     * Stops retrying, unsubscribes, closes its connection and waits (10 seconds at most) for a listener waking the
     * worker. It does not wait for Redis to confirm a subscription still being made.
     */
    @Override
    public void close() {
        synchronized (this.lock) {
            if (this.closed) {
                return;
            }
            this.closed = true;
        }
        this.subscriptions.shutdownNow();
        Thread thread = this.starting;
        if (thread != null) {
            thread.interrupt();
        }
        try {
            this.container.destroy();
        }
        catch (Exception ex) {
            logger.warn("Could not stop listening to the durable-task channel {}", this.channel, ex);
        }
        finally {
            this.executor.close();
            try {
                this.subscriptions.awaitTermination(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Wakes the worker for a notice: {@code origin} (due now) or {@code origin dueEpochMillis} (visible later); a
     * notice of this node's origin is skipped, and one that cannot be read wakes the worker at once.
     */
    private void heard(String notice) {
        if (this.closed) {
            return;
        }
        int space = notice.indexOf(' ');
        String from = (space >= 0) ? notice.substring(0, space) : notice;
        if (!this.origin.isEmpty() && this.origin.equals(from)) {
            return;
        }
        this.notices.incrementAndGet();
        Instant dueAt = null;
        if (space >= 0) {
            try {
                dueAt = Instant.ofEpochMilli(Long.parseLong(notice.substring(space + 1)));
            }
            catch (RuntimeException ex) {
                logger.debug("Could not read the due time of the durable-task notice '{}': polling now", notice, ex);
            }
        }
        try {
            if (dueAt != null) {
                this.wakeAt.accept(dueAt);
            }
            else {
                this.wake.run();
            }
        }
        catch (RuntimeException ex) {
            logger.warn("Waking the durable-task worker for '{}' failed", notice, ex);
        }
    }

    @Override
    public String toString() {
        return "RedisDurableTaskWakeUps[" + this.channel + "]";
    }

    /**
     * Hears the channel: each message is a notice; each confirmation, the first included, may follow notices that
     * were missed.
     */
    private final class Listener implements MessageListener, SubscriptionListener {

        @Override
        public void onMessage(Message message, byte @Nullable [] pattern) {
            heard(new String(message.getBody(), StandardCharsets.UTF_8));
        }

        @Override
        public void onChannelSubscribed(byte[] channel, long count) {
            if (!RedisDurableTaskWakeUps.this.channel.equals(new String(channel, StandardCharsets.UTF_8))) {
                return;
            }
            if (RedisDurableTaskWakeUps.this.closed) {
                return;
            }
            // Polls first, so that a caller that waits for the subscription sees that poll asked for.
            try {
                RedisDurableTaskWakeUps.this.wake.run();
            }
            catch (RuntimeException ex) {
                logger.warn("Waking the durable-task worker after subscribing to {} failed",
                        RedisDurableTaskWakeUps.this.channel, ex);
            }
            if (RedisDurableTaskWakeUps.this.confirmations.getAndIncrement() == 0) {
                logger.info("Subscribed to the durable-task channel {}: other nodes' work wakes the worker",
                        RedisDurableTaskWakeUps.this.channel);
            }
            else {
                logger.debug("Subscribed again to {}: the durable-task worker polled once for what was missed",
                        RedisDurableTaskWakeUps.this.channel);
            }
        }
    }
}
