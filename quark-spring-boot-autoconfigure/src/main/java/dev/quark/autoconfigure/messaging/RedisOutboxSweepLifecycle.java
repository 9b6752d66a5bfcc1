package dev.quark.autoconfigure.messaging;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

import dev.quark.messaging.store.OutboxStore;
import dev.quark.messaging.store.redis.RedisOutboxStaging;
import dev.quark.messaging.store.redis.RedisOutboxStore;

/**
 * Sweeps the Redis outbox's staging areas at an interval, from the context's refresh to its close, on every node: the
 * messages of a save on a Redis Cluster whose move to the outbox failed or never ran (its process died) are moved by
 * the next sweep. On a standalone Redis nothing is ever staged, and a sweep is one read of the empty index. The
 * outbox store is looked at when the context starts, so that an application's own {@link RedisOutboxStore} bean,
 * whatever type it is declared as, is swept; with an outbox store of another kind this does nothing.
 */
final class RedisOutboxSweepLifecycle implements SmartLifecycle {

    private static final Logger logger = LoggerFactory.getLogger(RedisOutboxSweepLifecycle.class);

    /** How long {@link #stop()} waits for a running sweep to end. */
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

    private final OutboxStore outbox;

    private final Duration interval;

    private final Duration grace;

    private final Duration maxAge;

    private @Nullable ScheduledExecutorService timer;

    /**
     * Creates the sweep.
     * @param outbox the outbox store; swept when it is a {@link RedisOutboxStore}
     * @param interval the pause between two sweeps
     * @param grace the grace period of index entries and moved messages
     * @param maxAge how long after its move a moved message may be appended again, at most
     */
    RedisOutboxSweepLifecycle(OutboxStore outbox, Duration interval, Duration grace, Duration maxAge) {
        this.outbox = outbox;
        this.interval = interval;
        this.grace = grace;
        this.maxAge = maxAge;
    }

    @Override
    public synchronized void start() {
        if (this.timer != null || !(this.outbox instanceof RedisOutboxStore redis)) {
            return;
        }
        RedisOutboxStaging staging = redis.staging();
        this.timer = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("quark-outbox-staging-sweep").daemon().factory());
        long millis = this.interval.toMillis();
        this.timer.scheduleWithFixedDelay(() -> sweep(staging), millis, millis, TimeUnit.MILLISECONDS);
    }

    /** One sweep; catches everything, as anything thrown would end the schedule without a word. */
    private void sweep(RedisOutboxStaging staging) {
        try {
            int moved = staging.sweep(this.grace, this.maxAge);
            if (moved > 0) {
                logger.info("Moved {} staged outbox message(s) to the outbox", moved);
            }
        }
        catch (RuntimeException ex) {
            logger.warn("Could not sweep the outbox's staging areas; trying again in {}", this.interval, ex);
        }
        catch (Error ex) {
            logger.error("Sweeping the outbox's staging areas failed; trying again in {}", this.interval, ex);
        }
    }

    /** Stops the schedule, and waits a bounded time for a running sweep to end before the connections close. */
    @Override
    public synchronized void stop() {
        ScheduledExecutorService stopping = this.timer;
        if (stopping == null) {
            return;
        }
        this.timer = null;
        stopping.shutdown();
        try {
            if (!stopping.awaitTermination(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                logger.warn("The outbox's staging sweep did not end within {}; interrupting it", STOP_TIMEOUT);
                stopping.shutdownNow();
            }
        }
        catch (InterruptedException ex) {
            stopping.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public synchronized boolean isRunning() {
        return this.timer != null;
    }
}
