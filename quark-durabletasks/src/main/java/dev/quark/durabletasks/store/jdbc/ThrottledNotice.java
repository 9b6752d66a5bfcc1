package dev.quark.durabletasks.store.jdbc;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.LongFunction;
import java.util.function.LongSupplier;

/**
 * A notice sent at most once per interval, and never dropped: the first request of an interval sends it at once,
 * later requests in the same interval send it once at the interval's end.
 * <p>
 * For the notifications of work given back: a step that fails before it writes anything gives its instance back,
 * and the instance is claimed and fails again at once (a poison instance). Notifying every such release would wake
 * every worker of the cluster on every turn of that loop; throttled, a loop costs each node a wake-up per interval at
 * most, while work given back at shutdown is still announced within one interval. Thread-safe.
 */
final class ThrottledNotice {

    private final Runnable notice;

    private final long intervalNanos;

    private final LongSupplier nanoTime;

    private final LongFunction<Executor> later;

    private final Object lock = new Object();

    private boolean sentBefore;

    private long lastSent;

    private boolean trailing;

    /**
     * Creates a throttled notice on the system's clock.
     * @param notice what sends the notice
     * @param interval the least time between two notices, positive
     */
    ThrottledNotice(Runnable notice, Duration interval) {
        this(notice, interval, System::nanoTime,
                (delayNanos) -> CompletableFuture.delayedExecutor(delayNanos, TimeUnit.NANOSECONDS));
    }

    /**
     * Creates a throttled notice.
     * @param notice what sends the notice
     * @param interval the least time between two notices, positive
     * @param nanoTime the clock, in nanoseconds
     * @param later an executor that runs its task after the given nanoseconds
     */
    ThrottledNotice(Runnable notice, Duration interval, LongSupplier nanoTime, LongFunction<Executor> later) {
        this.notice = Objects.requireNonNull(notice, "notice must not be null");
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("interval must be positive, was " + interval);
        }
        this.intervalNanos = interval.toNanos();
        this.nanoTime = nanoTime;
        this.later = later;
    }

    /** Sends the notice now, or once at the end of the current interval if one was sent within it. */
    void request() {
        long delay;
        synchronized (this.lock) {
            if (this.trailing) {
                return;
            }
            long now = this.nanoTime.getAsLong();
            long since = now - this.lastSent;
            if (!this.sentBefore || since >= this.intervalNanos) {
                this.sentBefore = true;
                this.lastSent = now;
                delay = 0;
            }
            else {
                this.trailing = true;
                delay = this.intervalNanos - since;
            }
        }
        if (delay == 0) {
            this.notice.run();
        }
        else {
            this.later.apply(delay).execute(this::sendTrailing);
        }
    }

    private void sendTrailing() {
        synchronized (this.lock) {
            this.trailing = false;
            this.lastSent = this.nanoTime.getAsLong();
        }
        this.notice.run();
    }

}
