package dev.quark.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

import dev.quark.redis.RedisChannelSubscriptions.ChannelListener;
import dev.quark.redis.RedisChannelSubscriptions.Subscription;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.data.redis.connection.RedisConnectionFactory;

/**
 * Wakes something when a Redis channel carries a notice: the common part of the areas' wake-ups across nodes (the
 * jobs' {@code RedisJobWakeUps}, the durable tasks' {@code RedisDurableTaskWakeUps}), as {@code PostgresWakeUps} is on
 * PostgreSQL. It subscribes to the channel either on the node's shared connection of the factory
 * ({@link RedisChannelSubscriptions}, one connection for every area) or on subscriptions of its own (one connection for
 * this channel alone, as a library user without the shared bean gets), and hands what it hears to a callback:
 * <ul>
 * <li>the notices heard, gathered: notices that arrive while the callback runs are told in its next call, so that a
 * burst costs a call or two, not one per notice;</li>
 * <li>{@link Notices#missed() missed} each time Redis confirms the subscription, the first included, since notices
 * published before it (or while the connection was lost) were missed: the area then polls once. The area's poll
 * interval stays the safety net: pub/sub is fire and forget.</li>
 * </ul>
 * One thread at a time calls the callback (a virtual thread of the subscriptions: the client's event loop is never
 * blocked). {@link #start()} never waits for Redis; a failure to subscribe is logged once (WARN) and retried with a
 * growing back-off, the subscription logged (INFO).
 * <p>
 * Requires Spring Data Redis.
 */
public final class RedisWakeUps implements AutoCloseable {

    private static final Logger logger = LoggerFactory.getLogger(RedisWakeUps.class);

    /** How long {@link #close()} waits for a callback that runs. */
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

    private final @Nullable RedisChannelSubscriptions shared;

    private final RedisChannelSubscriptions subscriptions;

    private final RedisConnectionFactory connectionFactory;

    private final String area;

    private final String channel;

    private final Consumer<Notices> callback;

    private final Object lock = new Object();

    /** Guarded by {@link #lock}. */
    private @Nullable Subscription subscription;

    /** Notices heard and not yet told; guarded by {@link #lock}. */
    private List<String> heard = new ArrayList<>();

    /** Whether notices may have been missed since the last call; guarded by {@link #lock}. */
    private boolean missed;

    /** The thread calling the callback, if any; guarded by {@link #lock}. */
    private @Nullable Thread telling;

    /** Guarded by {@link #lock}. */
    private boolean started;

    /** Guarded by {@link #lock}. */
    private boolean closed;

    /** Whether a failure to subscribe was logged (at WARN, once). */
    private volatile boolean failureLogged;

    private RedisWakeUps(@Nullable RedisChannelSubscriptions shared, RedisConnectionFactory connectionFactory,
            String area, String channel, Consumer<Notices> callback) {
        this.shared = shared;
        this.subscriptions = (shared != null) ? shared : new RedisChannelSubscriptions("quark-" + area + "-wake-ups");
        this.connectionFactory = Objects.requireNonNull(connectionFactory, "connectionFactory must not be null");
        this.area = Objects.requireNonNull(area, "area must not be null");
        this.channel = Objects.requireNonNull(channel, "channel must not be null");
        if (channel.isBlank()) {
            throw new IllegalArgumentException(
                    "The channel of " + area + " wake-ups must not be blank, was '" + channel + "'");
        }
        this.callback = Objects.requireNonNull(callback, "callback must not be null");
    }

    /**
     * Creates wake-ups on subscriptions of their own, which hold a connection while they run.
     * @param connectionFactory the Redis the notices are published on
     * @param area what is woken, in log lines and thread names (for instance {@code job})
     * @param channel the channel
     * @param callback told what was heard; one call at a time, which should return quickly
     * @return the wake-ups, not started
     * @throws IllegalArgumentException when the channel is blank
     */
    public static RedisWakeUps ownSubscription(RedisConnectionFactory connectionFactory, String area, String channel,
            Consumer<Notices> callback) {
        return new RedisWakeUps(null, connectionFactory, area, channel, callback);
    }

    /**
     * Creates wake-ups on the node's shared subscription connection of the factory.
     * @param subscriptions the shared subscriptions
     * @param connectionFactory the Redis the notices are published on
     * @param area what is woken, in log lines (for instance {@code job})
     * @param channel the channel
     * @param callback told what was heard; one call at a time, which should return quickly
     * @return the wake-ups, not started
     * @throws IllegalArgumentException when the channel is blank
     */
    public static RedisWakeUps sharedSubscription(RedisChannelSubscriptions subscriptions,
            RedisConnectionFactory connectionFactory, String area, String channel, Consumer<Notices> callback) {
        return new RedisWakeUps(Objects.requireNonNull(subscriptions, "subscriptions must not be null"),
                connectionFactory, area, channel, callback);
    }

    /**
     * Starts subscribing and returns at once: it does not wait for Redis. A failure to subscribe is logged (WARN,
     * once) and tried again; {@link #isSubscribed()} tells when Redis confirmed the subscription.
     * @throws IllegalStateException when it was closed, or the shared subscriptions were
     */
    public void start() {
        synchronized (this.lock) {
            if (this.closed) {
                throw new IllegalStateException(this + " was closed; it starts once");
            }
            if (this.started) {
                return;
            }
            this.subscription = this.subscriptions.subscribe(this.connectionFactory, this.channel, new Listener());
            this.started = true;
        }
    }

    /**
     * Returns whether Redis confirmed the subscription at least once: from then on other nodes' notices wake this
     * node (while the connection holds).
     * @return whether it subscribed
     */
    public boolean isSubscribed() {
        return subscriptions() > 0;
    }

    /**
     * Returns how many times Redis confirmed the subscription: more than once after a lost connection.
     * @return the number of confirmations
     */
    public int subscriptions() {
        synchronized (this.lock) {
            return (this.subscription != null) ? this.subscription.confirmations() : 0;
        }
    }

    /**
     * Returns whether it listens (or tries to, its connection lost).
     * @return whether it was started and not closed
     */
    public boolean isRunning() {
        synchronized (this.lock) {
            return this.started && !this.closed;
        }
    }

    /**
     * Returns the channel it listens to.
     * @return the channel
     */
    public String channel() {
        return this.channel;
    }

    /**
     * Returns whether it subscribes on the node's shared connection rather than on one of its own.
     * @return whether the subscriptions are shared
     */
    public boolean sharesTheConnection() {
        return this.shared != null;
    }

    /**
     * Stops listening: leaves the shared connection (the other areas' channels stay subscribed) or closes its own,
     * and waits (10 seconds at most) for a callback that runs, unless called from it. Idempotent.
     */
    @Override
    public void close() {
        Subscription closing;
        synchronized (this.lock) {
            if (this.closed) {
                return;
            }
            this.closed = true;
            closing = this.subscription;
        }
        if (closing != null) {
            closing.close();
        }
        if (this.shared == null) {
            this.subscriptions.close();
        }
        awaitCallback();
    }

    private void awaitCallback() {
        long deadline = System.nanoTime() + STOP_TIMEOUT.toNanos();
        synchronized (this.lock) {
            while (this.telling != null && this.telling != Thread.currentThread()) {
                long remaining = deadline - System.nanoTime();
                if (remaining <= 0) {
                    logger.warn("A wake-up of the {} channel {} still ran {}s after it closed", this.area,
                            this.channel, STOP_TIMEOUT.toSeconds());
                    return;
                }
                try {
                    this.lock.wait(Math.max(1, remaining / 1_000_000));
                }
                catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /**
     * Notes what was heard; the first thread to arrive tells the callback, and again while more arrives meanwhile.
     */
    private void heard(@Nullable String notice, boolean missedSome) {
        synchronized (this.lock) {
            if (this.closed) {
                return;
            }
            if (notice != null) {
                this.heard.add(notice);
            }
            this.missed |= missedSome;
            if (this.telling != null) {
                return;
            }
            this.telling = Thread.currentThread();
        }
        while (true) {
            Notices notices;
            synchronized (this.lock) {
                if (this.closed || (this.heard.isEmpty() && !this.missed)) {
                    this.telling = null;
                    this.lock.notifyAll();
                    return;
                }
                // A poll for what was missed finds what was heard too.
                notices = this.missed ? Notices.MISSED : new Notices(List.copyOf(this.heard), false);
                this.heard = new ArrayList<>();
                this.missed = false;
            }
            try {
                this.callback.accept(notices);
            }
            catch (RuntimeException ex) {
                logger.warn("Waking for the {} notices {} failed", this.area, notices, ex);
            }
        }
    }

    @Override
    public String toString() {
        return "RedisWakeUps[" + this.area + ", " + this.channel + ", "
                + ((this.shared != null) ? "shared connection" : "own connection") + "]";
    }

    /**
     * What the callback is told.
     * @param payloads the notices heard, in the order heard; empty when missed
     * @param missed whether notices may have been missed (the subscription was confirmed, the first time or again
     * after a lost connection): poll once
     */
    public record Notices(List<String> payloads, boolean missed) {

        /** Notices may have been missed. */
        public static final Notices MISSED = new Notices(List.of(), true);

        /**
         * Creates what the callback is told.
         * @param payloads the notices heard
         * @param missed whether notices may have been missed
         */
        public Notices {
            payloads = List.copyOf(payloads);
        }
    }

    /** Hears the channel: each message is a notice; each confirmation, the first included, may follow missed ones. */
    private final class Listener implements ChannelListener {

        @Override
        public void message(String payload) {
            heard(payload, false);
        }

        @Override
        public void subscribed(boolean again) {
            // Polls first, so that a poll that waits for the subscription follows this one.
            heard(null, true);
            if (!again) {
                logger.info("Subscribed to the {} channel {}: other nodes' notices wake this node", RedisWakeUps.this.area,
                        RedisWakeUps.this.channel);
            }
            else {
                logger.debug("Subscribed again to {}: polled once for what was missed", RedisWakeUps.this.channel);
            }
        }

        @Override
        public void subscribeFailed(RuntimeException failure) {
            if (RedisWakeUps.this.failureLogged) {
                logger.debug("Subscribing to the {} channel {} failed", RedisWakeUps.this.area,
                        RedisWakeUps.this.channel, failure);
                return;
            }
            RedisWakeUps.this.failureLogged = true;
            logger.warn("Could not subscribe to the {} channel {} yet ({}): other nodes' notices wait for the next poll "
                    + "until it subscribes", RedisWakeUps.this.area, RedisWakeUps.this.channel, failure.toString());
        }
    }
}
