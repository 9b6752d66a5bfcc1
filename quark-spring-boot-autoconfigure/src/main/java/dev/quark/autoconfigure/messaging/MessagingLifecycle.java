package dev.quark.autoconfigure.messaging;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

import dev.quark.messaging.runtime.MessagingRetention;
import dev.quark.messaging.runtime.OutboxDispatcher;

/**
 * Starts the outbox dispatcher (when this node dispatches) and the retention once the context is refreshed, and stops
 * them with it: the dispatcher releases its partitions, so that other nodes take them at once.
 */
final class MessagingLifecycle implements SmartLifecycle {

    private static final Logger logger = LoggerFactory.getLogger(MessagingLifecycle.class);

    private final @Nullable OutboxDispatcher dispatcher;

    private final MessagingRetention retention;

    private final Duration retentionInterval;

    private @Nullable ScheduledExecutorService retentionTimer;

    MessagingLifecycle(@Nullable OutboxDispatcher dispatcher, MessagingRetention retention, Duration retentionInterval) {
        this.dispatcher = dispatcher;
        this.retention = retention;
        this.retentionInterval = retentionInterval;
    }

    @Override
    public synchronized void start() {
        if (this.retentionTimer != null) {
            return;
        }
        if (this.dispatcher != null) {
            this.dispatcher.start();
        }
        this.retentionTimer = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("quark-messaging-retention").daemon().factory());
        long interval = this.retentionInterval.toMillis();
        this.retentionTimer.scheduleWithFixedDelay(this::purge, interval, interval, TimeUnit.MILLISECONDS);
    }

    private void purge() {
        try {
            this.retention.purge();
        }
        catch (RuntimeException ex) {
            logger.warn("Could not delete expired outbox messages and inbox records; trying again in {}",
                    this.retentionInterval, ex);
        }
    }

    @Override
    public synchronized void stop() {
        if (this.retentionTimer != null) {
            this.retentionTimer.shutdownNow();
            this.retentionTimer = null;
        }
        if (this.dispatcher != null) {
            this.dispatcher.close();
        }
    }

    @Override
    public synchronized boolean isRunning() {
        return this.retentionTimer != null;
    }
}
