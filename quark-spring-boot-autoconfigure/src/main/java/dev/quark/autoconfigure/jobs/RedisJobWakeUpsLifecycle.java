package dev.quark.autoconfigure.jobs;

import java.util.Optional;

import dev.quark.jobs.runtime.JobOrchestrator;
import dev.quark.jobs.runtime.RedisJobWakeUps;
import dev.quark.jobs.store.redis.RedisJobStore;
import dev.quark.redis.RedisChannelSubscriptions;
import org.jspecify.annotations.Nullable;

import org.springframework.context.SmartLifecycle;
import org.springframework.data.redis.connection.RedisConnectionFactory;

/**
 * Subscribes to other nodes' job notifications on Redis ({@link RedisJobWakeUps}) once the job orchestrator runs, and
 * unsubscribes before it stops. Only a store that {@link RedisJobStore#notifying() publishes} gets wake-ups: a store
 * that publishes nothing (one the application defined without notifications) would leave the subscribed connection
 * idle, so none is taken. They subscribe on the node's shared subscription connection when there is one
 * ({@link RedisChannelSubscriptions}), and leave it (the other areas' channels stay subscribed) when they stop.
 */
final class RedisJobWakeUpsLifecycle implements SmartLifecycle {

    /** Starts after and stops before the job orchestrator. */
    static final int PHASE = JobOrchestratorLifecycle.PHASE + 1;

    private final @Nullable RedisJobWakeUps wakeUps;

    private volatile boolean running;

    RedisJobWakeUpsLifecycle(@Nullable RedisChannelSubscriptions subscriptions, RedisConnectionFactory connectionFactory,
            RedisJobStore store, JobOrchestrator orchestrator) {
        this.wakeUps = store.notifying()
                ? new RedisJobWakeUps(subscriptions, connectionFactory, store.channel(), orchestrator) : null;
    }

    /**
     * Returns the wake-ups, for diagnostics; empty when the store does not publish.
     * @return the wake-ups, if any
     */
    Optional<RedisJobWakeUps> wakeUps() {
        return Optional.ofNullable(this.wakeUps);
    }

    @Override
    public void start() {
        if (this.wakeUps != null) {
            this.wakeUps.start();
        }
        this.running = true;
    }

    @Override
    public void stop() {
        this.running = false;
        if (this.wakeUps != null) {
            this.wakeUps.close();
        }
    }

    @Override
    public boolean isRunning() {
        return this.running;
    }

    @Override
    public int getPhase() {
        return PHASE;
    }
}
