package dev.quark.jobs.runtime;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

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
 * Wakes a node's workers when another node makes jobs due: subscribes, on one connection of its own (a
 * {@link RedisMessageListenerContainer} over the application's connection factory, Lettuce by default), to the channel
 * that a notifying Redis job store publishes the types of such jobs on ({@code RedisJobStore#channel()}), and tells the
 * {@link JobOrchestrator} ({@link JobOrchestrator#jobsDue}), which polls at once when it runs any of their types; a
 * message of a job due later ({@link dev.quark.jobs.store.JobDueNotice}) makes it claim when the job comes due.
 * Messages that arrive while it tells the orchestrator are gathered and told in one call next, so that a burst costs
 * a claim round or two, not one per job.
 * <p>
 * Each time Redis confirms the subscription, the first included, the orchestrator polls once (an empty set of types),
 * since messages published before it (or while the connection was lost) were missed. The poll interval stays the
 * safety net: pub/sub is fire and forget.
 * <p>
 * {@link #start()} never waits for Redis: the container subscribes on a virtual thread of its own, and when Redis is
 * down or slow it retries (with its back-off) on a scheduler of its own rather than sleeping, so that an application
 * starts while Redis is unreachable, its workers polling meanwhile; a first subscription that failed (which the
 * container does not retry) is tried again every 5 seconds. A failure to subscribe is logged once (WARN) and the
 * subscription (INFO).
 * <p>
 * Requires Spring Data Redis.
 */
public final class RedisJobWakeUps implements AutoCloseable {

    private static final Logger logger = LoggerFactory.getLogger(RedisJobWakeUps.class);

    /** How long {@link #close()} waits for a listener that is telling the orchestrator. */
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

    /** How long after a failed first subscription it tries again (the container's own back-off is 5 seconds). */
    private static final Duration RETRY = Duration.ofSeconds(5);

    private final String channel;

    private final JobOrchestrator orchestrator;

    private final SimpleAsyncTaskExecutor executor;

    /** Where the container retries a failed subscription, after its back-off, rather than sleeping. */
    private final ScheduledExecutorService subscriptions;

    private final RedisMessageListenerContainer container = new RedisMessageListenerContainer();

    private final Object lock = new Object();

    /** Types heard and not yet told; guarded by {@link #lock}. */
    private Set<String> heard = new HashSet<>();

    /** Whether messages may have been missed since the last call (a resubscription); guarded by {@link #lock}. */
    private boolean missed;

    /** Whether a listener thread is telling the orchestrator; guarded by {@link #lock}. */
    private boolean telling;

    private final AtomicInteger confirmations = new AtomicInteger();

    /** Whether a failure to subscribe was logged (at WARN, once). */
    private volatile boolean failureLogged;

    /** The thread that starts the container, until it is done. */
    private volatile @Nullable Thread starting;

    private volatile boolean started;

    private volatile boolean closed;

    /**
     * Creates the wake-ups; they subscribe once {@link #start() started}.
     * @param connectionFactory the jobs' Redis
     * @param channel the channel the store publishes on
     * @param orchestrator the workers to wake
     */
    public RedisJobWakeUps(RedisConnectionFactory connectionFactory, String channel, JobOrchestrator orchestrator) {
        Objects.requireNonNull(connectionFactory, "connectionFactory must not be null");
        this.channel = Objects.requireNonNull(channel, "channel must not be null");
        if (channel.isBlank()) {
            throw new IllegalArgumentException("The channel of job wake-ups must not be blank, was '" + channel + "'");
        }
        this.orchestrator = Objects.requireNonNull(orchestrator, "orchestrator must not be null");
        this.executor = new SimpleAsyncTaskExecutor("quark-jobs-wake-ups-");
        this.executor.setVirtualThreads(true);
        this.executor.setTaskTerminationTimeout(STOP_TIMEOUT.toMillis());
        this.container.setConnectionFactory(connectionFactory);
        this.container.setTaskExecutor(this.executor);
        this.subscriptions = Executors.newSingleThreadScheduledExecutor(
                Thread.ofVirtual().name("quark-jobs-wake-ups-subscription-", 0).factory());
        this.container.setSubscriptionExecutor(this.subscriptions);
        this.container.setErrorHandler((ex) -> logger.warn("Waking the job workers from {} failed", channel, ex));
        Listener listener = new Listener();
        this.container.addMessageListener(listener, new ChannelTopic(channel));
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
            this.starting = Thread.ofVirtual().name("quark-jobs-wake-ups-start").start(this::subscribe);
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
            catch (java.util.concurrent.RejectedExecutionException closedMeanwhile) {
                // closed: nothing to retry
            }
        }
        finally {
            this.starting = null;
        }
    }

    private void failed(Throwable ex) {
        if (this.failureLogged || isSubscribed()) {
            logger.debug("Subscribing to the job channel {} failed", this.channel, ex);
            return;
        }
        this.failureLogged = true;
        logger.warn("Could not subscribe to the job channel {} yet ({}): other nodes' jobs wait for the workers' next "
                + "poll until it subscribes", this.channel, ex.toString());
    }

    /**
     * Returns whether Redis confirmed the subscription at least once: from then on other nodes' jobs wake the workers
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
     * Stops retrying, unsubscribes, closes its connection and waits (10 seconds at most) for a listener telling the
     * orchestrator. It does not wait for Redis to confirm a subscription still being made.
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
            logger.warn("Could not stop listening to the job channel {}", this.channel, ex);
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
     * Notes what was heard; the first listener thread to arrive tells the orchestrator, and again while more arrives
     * meanwhile.
     */
    private void heard(@Nullable String type, boolean missedSome) {
        synchronized (this.lock) {
            if (this.closed) {
                return;
            }
            if (type != null) {
                this.heard.add(type);
            }
            this.missed |= missedSome;
            if (this.telling) {
                return;
            }
            this.telling = true;
        }
        while (true) {
            Set<String> types;
            synchronized (this.lock) {
                if (this.closed || (this.heard.isEmpty() && !this.missed)) {
                    this.telling = false;
                    return;
                }
                types = this.missed ? Set.of() : this.heard;
                this.heard = new HashSet<>();
                this.missed = false;
            }
            try {
                if (types.isEmpty()) {
                    this.orchestrator.jobsDue(types);
                }
                else {
                    JobDueNotices.tell(this.orchestrator, types);
                }
            }
            catch (RuntimeException ex) {
                logger.warn("Waking the job workers for {} failed", types, ex);
            }
        }
    }

    @Override
    public String toString() {
        return "RedisJobWakeUps[" + this.channel + "]";
    }

    /**
     * Hears the channel: each message is a job type; each confirmation, the first included, may follow messages that
     * were missed.
     */
    private final class Listener implements MessageListener, SubscriptionListener {

        @Override
        public void onMessage(Message message, byte @Nullable [] pattern) {
            heard(new String(message.getBody(), StandardCharsets.UTF_8), false);
        }

        @Override
        public void onChannelSubscribed(byte[] channel, long count) {
            if (!RedisJobWakeUps.this.channel.equals(new String(channel, StandardCharsets.UTF_8))) {
                return;
            }
            // Polls first, so that a poll of the workers that waits for the subscription follows this one.
            heard(null, true);
            if (RedisJobWakeUps.this.confirmations.getAndIncrement() == 0) {
                logger.info("Subscribed to the job channel {}: other nodes' jobs wake the workers",
                        RedisJobWakeUps.this.channel);
            }
            else {
                logger.debug("Subscribed again to {}: the job workers polled once for what was missed",
                        RedisJobWakeUps.this.channel);
            }
        }
    }
}
