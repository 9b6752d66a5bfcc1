package dev.quark.supervision;

import java.time.Duration;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * How long a supervisor waits before the n-th restart of a child within its window:
 * {@code min(max, initial * multiplier^(n-1))}, spread by up to {@code ±jitter} of itself.
 *
 * @param initial the delay before the first restart, not negative
 * @param max the longest delay, at least {@code initial}
 * @param multiplier how much each restart multiplies the delay, at least 1
 * @param jitter the random spread as a fraction of the delay, from 0 to 1
 */
public record Backoff(Duration initial, Duration max, double multiplier, double jitter) {

    /** Restart at once, every time. */
    public static final Backoff NONE = new Backoff(Duration.ZERO, Duration.ZERO, 1.0, 0.0);

    /**
     * Validates the settings.
     * @throws IllegalArgumentException naming the invalid setting
     */
    public Backoff {
        Objects.requireNonNull(initial, "initial must not be null");
        Objects.requireNonNull(max, "max must not be null");
        if (initial.isNegative()) {
            throw new IllegalArgumentException("Backoff initial must not be negative, was " + initial);
        }
        if (max.compareTo(initial) < 0) {
            throw new IllegalArgumentException("Backoff max (" + max + ") must not be less than initial (" + initial + ")");
        }
        if (!(multiplier >= 1.0) || Double.isInfinite(multiplier)) {
            throw new IllegalArgumentException("Backoff multiplier must be at least 1, was " + multiplier);
        }
        if (!(jitter >= 0.0 && jitter <= 1.0)) {
            throw new IllegalArgumentException("Backoff jitter must be between 0 and 1, was " + jitter);
        }
    }

    /**
     * Creates an exponential backoff.
     * @param initial the delay before the first restart
     * @param max the longest delay
     * @param multiplier how much each restart multiplies the delay
     * @param jitter the random spread as a fraction of the delay
     * @return the backoff
     */
    public static Backoff exponential(Duration initial, Duration max, double multiplier, double jitter) {
        return new Backoff(initial, max, multiplier, jitter);
    }

    /**
     * Returns the delay before a restart.
     * @param restart which restart within the window, from 1
     * @param random the source of jitter
     * @return the delay, never negative
     */
    public Duration delay(int restart, RandomGenerator random) {
        double nanos = this.initial.toNanos() * Math.pow(this.multiplier, Math.max(0, restart - 1));
        nanos = Math.min(nanos, (double) this.max.toNanos());
        if (this.jitter > 0 && nanos > 0) {
            nanos += nanos * this.jitter * (2 * random.nextDouble() - 1);
        }
        return Duration.ofNanos(Math.max(0, (long) nanos));
    }
}
