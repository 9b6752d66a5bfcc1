package dev.quark.autoconfigure.messaging;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

import dev.quark.messaging.store.redis.RedisOutboxStaging;

/**
 * Sweeps the Redis outbox's staging areas at an interval, from the context's refresh to its close, on every node: the
 * messages of a save on a Redis Cluster whose move to the outbox failed or never ran (its process died) are moved by
 * the next sweep. On a standalone Redis nothing is ever staged, and a sweep is one read of the empty index.
 */
final class RedisOutboxSweepLifecycle implements SmartLifecycle {

    private static final Logger logger = LoggerFactory.getLogger(RedisOutboxSweepLifecycle.class);

    private final RedisOutboxStaging staging;

    private final Duration interval;

    private final Duration grace;

    private @Nullable ScheduledExecutorService timer;

    RedisOutboxSweepLifecycle(RedisOutboxStaging staging, Duration interval, Duration grace) {
        this.staging = staging;
        this.interval = interval;
        this.grace = grace;
    }

    @Override
    public synchronized void start() {
        if (this.timer != null) {
            return;
        }
        this.timer = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("quark-outbox-staging-sweep").daemon().factory());
        long millis = this.interval.toMillis();
        this.timer.scheduleWithFixedDelay(this::sweep, millis, millis, TimeUnit.MILLISECONDS);
    }

    private void sweep() {
        try {
            int moved = this.staging.sweep(this.grace);
            if (moved > 0) {
                logger.info("Moved {} staged outbox message(s) to the outbox", moved);
            }
        }
        catch (RuntimeException ex) {
            logger.warn("Could not sweep the outbox's staging areas; trying again in {}", this.interval, ex);
        }
    }

    @Override
    public synchronized void stop() {
        if (this.timer != null) {
            this.timer.shutdownNow();
            this.timer = null;
        }
    }

    @Override
    public synchronized boolean isRunning() {
        return this.timer != null;
    }
}
