package dev.quark.durabletasks.store.redis;

import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import dev.quark.redis.RedisChannelSubscriptions;
import dev.quark.redis.RedisWakeUps;
import dev.quark.redis.RedisWakeUps.Notices;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.data.redis.connection.RedisConnectionFactory;

/**
 * Wakes a worker when another node makes durable-task work due: subscribes to the channel a notifying
 * {@link RedisDurableTaskStore} publishes on ({@link RedisDurableTaskStore#channel()}), and runs the wake-up (the
 * worker's {@code wake()}, which polls at once) for a notice of work due now, or the timed wake-up (the worker's
 * {@code wakeAt(Instant)}) for a notice of work visible later ({@code origin dueEpochMillis}). Notices that start with
 * the given origin (the node's own store's, {@link RedisDurableTaskStore#origin()}) are skipped: the node's worker
 * polls after its own writes anyway.
 * <p>
 * It subscribes on the node's shared subscription connection of the factory ({@link RedisChannelSubscriptions}, which
 * the cluster membership and the jobs use too), or on a connection of its own when made without one. Each time Redis
 * confirms the subscription, the first included, the worker polls once (a poll that finds no work looks when work next
 * becomes visible), since notices published before it (or while the connection was lost) were missed. The worker's
 * poll interval stays the safety net: pub/sub is fire and forget. {@link #start()} never waits for Redis; the
 * subscription is retried with a growing back-off ({@link RedisWakeUps}, which does all of this for jobs and durable
 * tasks alike).
 * <p>
 * Requires Spring Data Redis.
 */
public final class RedisDurableTaskWakeUps implements AutoCloseable {

    private static final Logger logger = LoggerFactory.getLogger(RedisDurableTaskWakeUps.class);

    private final String origin;

    private final Runnable wake;

    private final Consumer<Instant> wakeAt;

    private final AtomicInteger notices = new AtomicInteger();

    private final RedisWakeUps wakeUps;

    /**
     * Creates the wake-ups on a subscription connection of their own; they subscribe once {@link #start() started}.
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
        this(null, connectionFactory, channel, origin, wake, wakeAt);
    }

    /**
     * Creates the wake-ups on the node's shared subscription connection of the factory; they subscribe once
     * {@link #start() started}.
     * @param subscriptions the node's shared subscriptions, or {@code null} for a connection of their own
     * @param connectionFactory the store's Redis
     * @param channel the channel the store publishes on
     * @param origin the notices to skip: those of the node's own store ({@link RedisDurableTaskStore#origin()}), or
     * {@code ""} to skip none
     * @param wake what wakes the worker, for instance {@code worker::wake}; it must return quickly
     * @param wakeAt what wakes the worker when work becomes visible later, for instance {@code worker::wakeAt}; it
     * must return quickly
     */
    public RedisDurableTaskWakeUps(@Nullable RedisChannelSubscriptions subscriptions,
            RedisConnectionFactory connectionFactory, String channel, String origin, Runnable wake,
            Consumer<Instant> wakeAt) {
        Objects.requireNonNull(connectionFactory, "connectionFactory must not be null");
        Objects.requireNonNull(channel, "channel must not be null");
        this.origin = Objects.requireNonNull(origin, "origin must not be null");
        if (origin.contains(" ")) {
            throw new IllegalArgumentException(
                    "The origin of durable-task notices must not contain a space, was '" + origin + "'");
        }
        this.wake = Objects.requireNonNull(wake, "wake must not be null");
        this.wakeAt = Objects.requireNonNull(wakeAt, "wakeAt must not be null");
        this.wakeUps = (subscriptions != null)
                ? RedisWakeUps.sharedSubscription(subscriptions, connectionFactory, "durable-task", channel, this::tell)
                : RedisWakeUps.ownSubscription(connectionFactory, "durable-task", channel, this::tell);
    }

    /**
     * Creates the wake-ups of a notifying store's worker on another node, skipping the store's own notices, on a
     * subscription connection of their own.
     * @param store the node's store, which publishes
     * @param wake what wakes the worker, for instance {@code worker::wake}; it must return quickly
     * @param wakeAt what wakes the worker when work becomes visible later, for instance {@code worker::wakeAt}
     * @return the wake-ups, not started
     */
    public static RedisDurableTaskWakeUps of(RedisDurableTaskStore store, Runnable wake, Consumer<Instant> wakeAt) {
        return of(null, store, wake, wakeAt);
    }

    /**
     * Creates the wake-ups of a notifying store's worker on another node, skipping the store's own notices, on the
     * node's shared subscription connection of the store's factory.
     * @param subscriptions the node's shared subscriptions, or {@code null} for a connection of their own
     * @param store the node's store, which publishes
     * @param wake what wakes the worker, for instance {@code worker::wake}; it must return quickly
     * @param wakeAt what wakes the worker when work becomes visible later, for instance {@code worker::wakeAt}
     * @return the wake-ups, not started
     */
    public static RedisDurableTaskWakeUps of(@Nullable RedisChannelSubscriptions subscriptions,
            RedisDurableTaskStore store, Runnable wake, Consumer<Instant> wakeAt) {
        return new RedisDurableTaskWakeUps(subscriptions, store.connectionFactory(), store.channel(), store.origin(),
                wake, wakeAt);
    }

    /**
     * Starts subscribing and returns at once: it does not wait for Redis. A failure to subscribe is logged (WARN,
     * once) and tried again; {@link #isSubscribed()} tells when Redis confirmed the subscription.
     * @throws IllegalStateException when it was closed
     */
    public void start() {
        this.wakeUps.start();
    }

    /**
     * Returns whether Redis confirmed the subscription at least once: from then on other nodes' work wakes the worker
     * (while the connection holds).
     * @return whether it subscribed
     */
    public boolean isSubscribed() {
        return this.wakeUps.isSubscribed();
    }

    /**
     * Returns how many times Redis confirmed the subscription: more than once after a lost connection.
     * @return the number of confirmations
     */
    public int subscriptions() {
        return this.wakeUps.subscriptions();
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
        return this.wakeUps.isRunning();
    }

    /**
     * Returns the channel it listens to.
     * @return the channel
     */
    public String channel() {
        return this.wakeUps.channel();
    }

    /**
     * Returns whether it subscribes on the node's shared connection.
     * @return whether the connection is shared
     */
    public boolean sharesTheConnection() {
        return this.wakeUps.sharesTheConnection();
    }

    /**
     * Unsubscribes (closing its own connection, or leaving the shared one to the other areas) and waits (10 seconds at
     * most) for a listener waking the worker. It does not wait for Redis to confirm a subscription still being made.
     */
    @Override
    public void close() {
        this.wakeUps.close();
    }

    /** Polls once for what was missed, or wakes the worker for each notice heard. */
    private void tell(Notices heard) {
        if (heard.missed()) {
            try {
                this.wake.run();
            }
            catch (RuntimeException ex) {
                logger.warn("Waking the durable-task worker after subscribing to {} failed", channel(), ex);
            }
            return;
        }
        heard.payloads().forEach(this::heard);
    }

    /**
     * Wakes the worker for a notice: {@code origin} (due now) or {@code origin dueEpochMillis} (visible later); a
     * notice of this node's origin is skipped, and one that cannot be read wakes the worker at once.
     */
    private void heard(String notice) {
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
        return "RedisDurableTaskWakeUps[" + channel() + "]";
    }
}
