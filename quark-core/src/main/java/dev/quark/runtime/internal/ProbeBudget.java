package dev.quark.runtime.internal;

import java.util.function.LongSupplier;

/**
 * A bound on the deadlock probes one silo sends per look interval ({@link CallDispatcher#DEADLOCK_CHECK_NANOS}): those
 * of its own waiting turns' looks and those it passes on for other silos. Each waiting turn looks every interval and
 * a probe may fan out four-fold at every silo it passes, so a silo with many turns waiting on other silos at once (a
 * slow dependency every actor calls) would otherwise send probes in proportion. Probes over the budget are dropped:
 * a cycle they would have found is found by a later look whose probes get through, or its calls end with their call
 * timeout.
 */
final class ProbeBudget {

    /** How many probes a silo sends per look interval at most, by default. */
    static final int DEFAULT_PROBES_PER_INTERVAL = 4_096;

    private final int limit;

    private final long intervalNanos;

    private final LongSupplier nanoTime;

    private long windowStart;

    private int spent;

    ProbeBudget() {
        this(DEFAULT_PROBES_PER_INTERVAL, CallDispatcher.DEADLOCK_CHECK_NANOS, System::nanoTime);
    }

    /**
     * Creates a budget.
     * @param limit the probes per interval
     * @param intervalNanos the interval
     * @param nanoTime the time, as {@link System#nanoTime()}
     */
    ProbeBudget(int limit, long intervalNanos, LongSupplier nanoTime) {
        this.limit = limit;
        this.intervalNanos = intervalNanos;
        this.nanoTime = nanoTime;
        this.windowStart = nanoTime.getAsLong() - intervalNanos;
    }

    /**
     * Takes one probe from the budget of the current interval.
     * @return whether the probe may be sent
     */
    synchronized boolean spend() {
        long now = this.nanoTime.getAsLong();
        if (now - this.windowStart >= this.intervalNanos) {
            this.windowStart = now;
            this.spent = 0;
        }
        if (this.spent >= this.limit) {
            return false;
        }
        this.spent++;
        return true;
    }

    int limit() {
        return this.limit;
    }
}
