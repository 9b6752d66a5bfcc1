package dev.quark.benchmarks.outbox;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import dev.quark.messaging.runtime.OutboxMetrics;

/**
 * Counts the deliveries a dispatcher records (its metrics are told of a delivery once the store recorded it) and
 * notes when the last expected one was: the end of a drain, without polling the store.
 */
final class DeliveryCount implements OutboxMetrics {

    private final long expected;

    private final AtomicLong recorded = new AtomicLong();

    private final CountDownLatch done = new CountDownLatch(1);

    private volatile long lastNanos;

    DeliveryCount(long expected) {
        this.expected = expected;
    }

    @Override
    public void delivered(String destination, Duration lateness) {
        if (this.recorded.incrementAndGet() == this.expected) {
            this.lastNanos = System.nanoTime();
            this.done.countDown();
        }
    }

    /**
     * Waits until every expected delivery is recorded.
     * @param limit how long to wait at most
     * @return whether they all were
     */
    boolean await(Duration limit) throws InterruptedException {
        return this.done.await(limit.toNanos(), TimeUnit.NANOSECONDS);
    }

    /**
     * Returns when the last expected delivery was recorded ({@link System#nanoTime()}).
     * @return the time
     */
    long lastNanos() {
        return this.lastNanos;
    }

    long recorded() {
        return this.recorded.get();
    }
}
