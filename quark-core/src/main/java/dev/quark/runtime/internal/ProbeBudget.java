package dev.quark.runtime.internal;

import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;

/**
 * A bound on the deadlock probes one silo starts per look interval ({@link CallDispatcher#DEADLOCK_CHECK_NANOS}): those
 * of its own waiting turns' looks and those it sends onwards from a probe it continued. Each waiting turn looks every
 * interval and a probe may fan out four-fold at every silo it passes, so a silo with many turns waiting on other silos
 * at once (a slow dependency every actor calls) would otherwise send probes in proportion. A probe relayed as it came
 * (for a call this silo passed on) is not counted: it replaces one the budget of another silo already paid for.
 * <p>
 * Probes are admitted at random, not first come first served: looks repeat at a steady cadence, so a cut-off at the
 * limit would drop the same turns' probes interval after interval, and their cycles (each seen on two consecutive
 * looks before it is broken) would never be broken. While the previous interval asked for more than the limit, each
 * probe is admitted with the probability limit / demand of that interval, up to the limit; a cycle's probes then get
 * through on two consecutive looks with that probability squared, and over-budget probes are dropped.
 */
final class ProbeBudget {

    /** How many probes a silo starts per look interval at most, by default. */
    static final int DEFAULT_PROBES_PER_INTERVAL = 4_096;

    private final int limit;

    private final long intervalNanos;

    private final LongSupplier nanoTime;

    private final DoubleSupplier random;

    private long windowStart;

    private int spent;

    private int asked;

    /** The share of probes admitted in this interval: 1 unless the previous one asked for more than the limit. */
    private double admitted = 1.0;

    ProbeBudget() {
        this(DEFAULT_PROBES_PER_INTERVAL, CallDispatcher.DEADLOCK_CHECK_NANOS, System::nanoTime,
                () -> ThreadLocalRandom.current().nextDouble());
    }

    /**
     * Creates a budget.
     * @param limit the probes per interval
     * @param intervalNanos the interval
     * @param nanoTime the time, as {@link System#nanoTime()}
     * @param random uniform numbers in {@code [0, 1)}
     */
    ProbeBudget(int limit, long intervalNanos, LongSupplier nanoTime, DoubleSupplier random) {
        this.limit = limit;
        this.intervalNanos = intervalNanos;
        this.nanoTime = nanoTime;
        this.random = random;
        this.windowStart = nanoTime.getAsLong() - intervalNanos;
    }

    /**
     * Asks to send one probe in the current interval.
     * @return whether the probe may be sent
     */
    synchronized boolean spend() {
        long now = this.nanoTime.getAsLong();
        long elapsed = now - this.windowStart;
        if (elapsed >= this.intervalNanos) {
            // An interval with nothing asked in between resets the share.
            this.admitted = (elapsed < 2 * this.intervalNanos && this.asked > this.limit)
                    ? (double) this.limit / this.asked : 1.0;
            this.windowStart = now;
            this.spent = 0;
            this.asked = 0;
        }
        this.asked++;
        if (this.spent >= this.limit || (this.admitted < 1.0 && this.random.getAsDouble() >= this.admitted)) {
            return false;
        }
        this.spent++;
        return true;
    }

    int limit() {
        return this.limit;
    }
}
