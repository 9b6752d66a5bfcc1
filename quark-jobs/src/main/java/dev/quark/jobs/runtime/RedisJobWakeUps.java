package dev.quark.jobs.runtime;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.Objects;
import java.util.Set;
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
 * {@link JobOrchestrator} ({@link JobOrchestrator#jobsDue}), which polls at once when it runs any of their types.
 * Messages that arrive while it tells the orchestrator are gathered and told in one call next, so that a burst costs
 * a claim round or two, not one per job.
 * <p>
 * After a lost connection the container subscribes again (with its back-off); once Redis confirms that subscription
 * the orchestrator polls once (an empty set of types), since messages published meanwhile were missed. The poll
 * interval stays the safety net: pub/sub is fire and forget.
 * <p>
 * Requires Spring Data Redis.
 */
public final class RedisJobWakeUps implements AutoCloseable {

    private static final Logger logger = LoggerFactory.getLogger(RedisJobWakeUps.class);

    /** How long {@link #close()} waits for a listener that is telling the orchestrator. */
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

    private final String channel;

    private final JobOrchestrator orchestrator;

    private final SimpleAsyncTaskExecutor executor;

    private final RedisMessageListenerContainer container = new RedisMessageListenerContainer();

    private final Object lock = new Object();

    /** Types heard and not yet told; guarded by {@link #lock}. */
    private Set<String> heard = new HashSet<>();

    /** Whether messages may have been missed since the last call (a resubscription); guarded by {@link #lock}. */
    private boolean missed;

    /** Whether a listener thread is telling the orchestrator; guarded by {@link #lock}. */
    private boolean telling;

    private final AtomicInteger subscriptions = new AtomicInteger();

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
        this.container.setErrorHandler((ex) -> logger.warn("Waking the job workers from {} failed", channel, ex));
        Listener listener = new Listener();
        this.container.addMessageListener(listener, new ChannelTopic(channel));
    }

    /**
     * Subscribes; a failure to connect is logged and retried by the container (with its back-off), never thrown.
     * @throws IllegalStateException when it was closed
     */
    public void start() {
        if (this.closed) {
            throw new IllegalStateException(this + " was closed; it starts once");
        }
        if (this.started) {
            return;
        }
        this.started = true;
        this.container.afterPropertiesSet();
        this.container.start();
    }

    /**
     * Returns whether Redis confirmed the subscription at least once: from then on other nodes' jobs wake the workers
     * (while the connection holds).
     * @return whether it subscribed
     */
    public boolean isSubscribed() {
        return this.subscriptions.get() > 0;
    }

    /**
     * Returns how many times Redis confirmed the subscription: more than once after a lost connection.
     * @return the number of confirmations
     */
    public int subscriptions() {
        return this.subscriptions.get();
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
     * Unsubscribes, closes its connection and waits (10 seconds at most) for a listener telling the orchestrator.
     */
    @Override
    public void close() {
        this.closed = true;
        try {
            this.container.destroy();
        }
        catch (Exception ex) {
            logger.warn("Could not stop listening to the job channel {}", this.channel, ex);
        }
        finally {
            this.executor.close();
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
                this.orchestrator.jobsDue(types);
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

    /** Hears the channel: each message is a job type; each confirmation after the first follows a lost connection. */
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
            if (RedisJobWakeUps.this.subscriptions.getAndIncrement() > 0) {
                logger.debug("Subscribed again to {}: the job workers poll once for what was missed",
                        RedisJobWakeUps.this.channel);
                heard(null, true);
            }
        }
    }
}
