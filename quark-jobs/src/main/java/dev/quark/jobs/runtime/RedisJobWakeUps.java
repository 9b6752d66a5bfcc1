package dev.quark.jobs.runtime;

import java.util.Objects;
import java.util.Set;

import dev.quark.redis.RedisChannelSubscriptions;
import dev.quark.redis.RedisWakeUps;
import dev.quark.redis.RedisWakeUps.Notices;
import org.jspecify.annotations.Nullable;

import org.springframework.data.redis.connection.RedisConnectionFactory;

/**
 * Wakes a node's workers when another node makes jobs due: subscribes to the channel that a notifying Redis job store
 * publishes the types of such jobs on ({@code RedisJobStore#channel()}), and tells the {@link JobOrchestrator}
 * ({@link JobOrchestrator#jobsDue}), which polls at once when it runs any of their types; a message of a job due later
 * ({@link dev.quark.jobs.store.JobDueNotice}) makes it claim when the job comes due. Messages that arrive while it
 * tells the orchestrator are gathered and told in one call next, so that a burst costs a claim round or two, not one
 * per job.
 * <p>
 * It subscribes on the node's shared subscription connection of the factory ({@link RedisChannelSubscriptions}, which
 * the cluster membership and the durable tasks use too), or on a connection of its own when made without one. Each
 * time Redis confirms the subscription, the first included, the orchestrator polls once (an empty set of types), since
 * messages published before it (or while the connection was lost) were missed. The poll interval stays the safety
 * net: pub/sub is fire and forget. {@link #start()} never waits for Redis: an application starts while Redis is
 * unreachable, its workers polling meanwhile, and the subscription is retried with a growing back-off
 * ({@link RedisWakeUps}, which does all of this for jobs and durable tasks alike).
 * <p>
 * Requires Spring Data Redis.
 */
public final class RedisJobWakeUps implements AutoCloseable {

    private final RedisWakeUps wakeUps;

    /**
     * Creates the wake-ups on a subscription connection of their own; they subscribe once {@link #start() started}.
     * @param connectionFactory the jobs' Redis
     * @param channel the channel the store publishes on
     * @param orchestrator the workers to wake
     */
    public RedisJobWakeUps(RedisConnectionFactory connectionFactory, String channel, JobOrchestrator orchestrator) {
        this(null, connectionFactory, channel, orchestrator);
    }

    /**
     * Creates the wake-ups on the node's shared subscription connection of the factory; they subscribe once
     * {@link #start() started}.
     * @param subscriptions the node's shared subscriptions, or {@code null} for a connection of their own
     * @param connectionFactory the jobs' Redis
     * @param channel the channel the store publishes on
     * @param orchestrator the workers to wake
     */
    public RedisJobWakeUps(@Nullable RedisChannelSubscriptions subscriptions, RedisConnectionFactory connectionFactory,
            String channel, JobOrchestrator orchestrator) {
        Objects.requireNonNull(connectionFactory, "connectionFactory must not be null");
        Objects.requireNonNull(channel, "channel must not be null");
        Objects.requireNonNull(orchestrator, "orchestrator must not be null");
        this.wakeUps = (subscriptions != null)
                ? RedisWakeUps.sharedSubscription(subscriptions, connectionFactory, "job", channel,
                        (notices) -> tell(orchestrator, notices))
                : RedisWakeUps.ownSubscription(connectionFactory, "job", channel,
                        (notices) -> tell(orchestrator, notices));
    }

    private static void tell(JobOrchestrator orchestrator, Notices notices) {
        if (notices.missed()) {
            orchestrator.jobsDue(Set.of());
        }
        else {
            JobDueNotices.tell(orchestrator, notices.payloads());
        }
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
     * Returns whether Redis confirmed the subscription at least once: from then on other nodes' jobs wake the workers
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
     * most) for a listener telling the orchestrator. It does not wait for Redis to confirm a subscription still being
     * made.
     */
    @Override
    public void close() {
        this.wakeUps.close();
    }

    @Override
    public String toString() {
        return "RedisJobWakeUps[" + channel() + "]";
    }
}
