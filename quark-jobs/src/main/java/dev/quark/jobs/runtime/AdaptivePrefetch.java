package dev.quark.jobs.runtime;

/**
 * Sizes the prefetch of a {@link JobOrchestrator} whose prefetch is not set, from what the node measures, so that
 * the jobs waiting on the node cover the claims' round trips and no more (Little's law):
 * <pre>
 * target = round(rate × roundTrip × {@value #CLAIMS_IN_FLIGHT} × {@value #HEADROOM}), clamped to [floor, ceiling]
 * </pre>
 * where {@code rate} is how many jobs this node's workers finish per second and {@code roundTrip} how long a claim
 * takes, from its reservation to the step that queues its jobs.
 * <ul>
 * <li>{@value #CLAIMS_IN_FLIGHT}: while jobs wait, a claim is made once half the prefetch is free (the refill), so the
 * half still waiting is what the workers run while that claim is in flight; it covers {@code rate × roundTrip} jobs
 * when the prefetch is twice that. Two claims are in flight at most, each made for the half that freed.</li>
 * <li>{@value #HEADROOM}: the estimates are means; a claim slower than the mean would leave workers idle, and about
 * half of them are. Half as much again covers a claim half as slow again as the mean.</li>
 * </ul>
 * With long jobs the rate is tiny and so is the target: a node of one-minute jobs holds the floor waiting, not the
 * worker count, whatever a claim takes. With short jobs and a backlog the rate grows with the claims (the workers
 * finish what the claims bring) and the target reaches the ceiling in a few dozen claims.
 * <p>
 * It starts at the worker count (the fixed default before, clamped to the ceiling) until a round trip and a rate
 * were measured: the first claim that lands starts the rate's window, its round trip left out (the first claim is the
 * slowest: connections opened, code not yet compiled), the next one measures a round trip and the rate. Each claim that lands is a sample: its round trip, and the jobs finished per second since the last
 * sample; so is each claim about to be sized, of the rate alone ({@link #refresh}), so that it is sized from what the
 * workers finish now. The round trip is smoothed with a weight of 1/{@value #SMOOTHING_WEIGHT_INVERSE} per sample
 * (as TCP smooths its round-trip time), and one counts for at most {@value #MAX_ROUND_TRIP_GROWTH} times the smoothed one, so that
 * one stalled claim raises the target by an eighth at most. The rate is smoothed over time, with a time constant of
 * {@value #SMOOTHING_WEIGHT_INVERSE} smoothed round trips (a sample weighs {@code 1 - e^(-elapsed / that)}): a burst
 * of short jobs is learnt within a few dozen claims, however long the node was idle before, and an idle spell, or
 * long jobs, forget it. A claim measured at zero (a tick source that did not move, as in virtual time) is no sample:
 * its finished jobs count in the next.
 * <p>
 * Times are ticks of a monotonic source in nanoseconds ({@link System#nanoTime()} in production), never the wall
 * clock: a step of the wall clock forward would drop the rate to the floor, one back would skip samples.
 * <p>
 * Not thread-safe: the orchestrator calls it holding its lock; it allocates nothing.
 */
final class AdaptivePrefetch {

    /** What the measured jobs per round trip is multiplied by for the refill (half the prefetch) to cover it. */
    static final int CLAIMS_IN_FLIGHT = 2;

    /** What the target is multiplied by for claims slower than the mean. */
    static final double HEADROOM = 1.5;

    /** The inverse of a sample's weight in the smoothed values. */
    static final int SMOOTHING_WEIGHT_INVERSE = 8;

    /** How many times the smoothed round trip one sample counts for at most. */
    static final double MAX_ROUND_TRIP_GROWTH = 2;

    /** The least prefetch: one job waiting covers the round trip of the claim made when the next worker frees. */
    static final int FLOOR = 1;

    /** How many times the worker count the ceiling is unless set. */
    static final int CEILING_PER_WORKER = 4;

    private final int floor;

    private final int ceiling;

    private int current;

    /** Jobs whose worker freed since the last sample. */
    private long finished;

    /** When the last sample was taken, in ticks; meaningful once {@link #sampled}. */
    private long sampledAt;

    private boolean sampled;

    /** Smoothed round trip in nanoseconds; negative until measured. */
    private double roundTrip = -1;

    /** Smoothed jobs finished per nanosecond; negative until measured. */
    private double rate = -1;

    /**
     * Creates the sizing of a node.
     * @param workers the node's worker count, the start value
     * @param ceiling the most it grows to, at least {@link #FLOOR}
     */
    AdaptivePrefetch(int workers, int ceiling) {
        if (ceiling < FLOOR) {
            throw new IllegalArgumentException("the prefetch's ceiling must be at least " + FLOOR + ", was " + ceiling);
        }
        this.floor = FLOOR;
        this.ceiling = ceiling;
        this.current = Math.clamp(workers, this.floor, this.ceiling);
    }

    /**
     * Returns the ceiling when none is set: {@value #CEILING_PER_WORKER} times the worker count.
     * @param workers the worker count
     * @return the ceiling
     */
    static int defaultCeiling(int workers) {
        return (int) Math.min(Integer.MAX_VALUE, (long) workers * CEILING_PER_WORKER);
    }

    /** A worker freed: its job's handler returned, or its attempt ended otherwise. */
    void jobFinished() {
        this.finished++;
    }

    /**
     * A claim landed: takes it as a sample and returns the prefetch from now on.
     * @param now when it landed, in ticks (monotonic nanoseconds)
     * @param roundTrip how long it took, in nanoseconds; zero or less is no sample
     * @return the prefetch
     */
    int claimLanded(long now, long roundTrip) {
        if (roundTrip <= 0) {
            return this.current;
        }
        if (!this.sampled) {
            // The first claim is the slowest (connections opened, code not yet compiled): uncapped, its round trip
            // would inflate the target for dozens of claims. It only starts the rate's window.
            this.sampled = true;
            this.sampledAt = now;
            this.finished = 0;
            return this.current;
        }
        // A round trip counts for at most twice the smoothed one: a store that slows down for good doubles it in six
        // samples; one stalled claim moves it by an eighth.
        this.roundTrip = smoothed(this.roundTrip, (this.roundTrip > 0) ? Math.min(roundTrip, MAX_ROUND_TRIP_GROWTH
                * this.roundTrip) : roundTrip);
        sampleRate(now);
        return this.current;
    }

    /**
     * A claim is about to be sized: takes the jobs finished since the last sample, over the time since, as a sample of
     * the rate (no round trip is measured), and returns the prefetch from now on. Without it a shrink would take
     * effect a claim late: the claim made when long jobs follow short ones would be sized with the rate of the short
     * ones, measured when the last claim landed, and fill the prefetch with long jobs. Nothing until a claim measured
     * the rate.
     * @param now when, in ticks (monotonic nanoseconds)
     * @return the prefetch
     */
    int refresh(long now) {
        if (this.rate >= 0) {
            sampleRate(now);
        }
        return this.current;
    }

    /**
     * Takes the jobs finished since the last sample, over the time since, as a sample of the rate and sizes the
     * prefetch from it; nothing when no time passed. The weight grows with the time: many samples close together
     * weigh what one over the same span would.
     */
    private void sampleRate(long now) {
        long elapsed = now - this.sampledAt;
        if (elapsed <= 0) {
            return;
        }
        double sample = (double) this.finished / elapsed;
        double weight = 1 - Math.exp(-elapsed / (SMOOTHING_WEIGHT_INVERSE * this.roundTrip));
        this.rate = (this.rate < 0) ? sample : this.rate + (sample - this.rate) * weight;
        this.current = target(this.rate, this.roundTrip);
        this.sampledAt = now;
        this.finished = 0;
    }

    /**
     * Returns the prefetch for a rate and a round trip, clamped.
     * @param jobsPerNano jobs finished per nanosecond
     * @param roundTripNanos a claim's round trip
     * @return the prefetch
     */
    int target(double jobsPerNano, double roundTripNanos) {
        // Rounded to the nearest, not up: a smoothed value a hair above a whole number is no reason for one more job.
        double jobs = Math.rint(jobsPerNano * roundTripNanos * CLAIMS_IN_FLIGHT * HEADROOM);
        return (int) Math.clamp(jobs, this.floor, this.ceiling);
    }

    private static double smoothed(double smoothed, double sample) {
        return (smoothed < 0) ? sample : smoothed + (sample - smoothed) / SMOOTHING_WEIGHT_INVERSE;
    }

    /**
     * Returns the prefetch now.
     * @return between the floor and the ceiling
     */
    int current() {
        return this.current;
    }

    int floor() {
        return this.floor;
    }

    int ceiling() {
        return this.ceiling;
    }
}
