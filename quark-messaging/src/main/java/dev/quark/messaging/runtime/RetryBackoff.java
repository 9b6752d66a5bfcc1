package dev.quark.messaging.runtime;

import java.time.Duration;
import java.util.Objects;
import java.util.random.RandomGenerator;

import dev.quark.supervision.Backoff;

/**
 * Exponential backoff between delivery attempts: {@code initial × multiplier^(attempt-1)}, at most {@code max}, in
 * whole milliseconds. The growth is quark-core's {@link Backoff} without jitter ({@link #backoff()}); this record adds
 * the outbox's stricter settings (a positive initial wait) and its millisecond resolution.
 *
 * @param initial the wait after the first failed attempt, positive
 * @param multiplier the growth per attempt, at least 1
 * @param max the longest wait, at least {@code initial}
 */
public record RetryBackoff(Duration initial, double multiplier, Duration max) {

    /** Never asked for a number: the backoff has no jitter. */
    private static final RandomGenerator NO_JITTER = RandomGenerator.getDefault();

    /**
     * Validates the backoff.
     */
    public RetryBackoff {
        Objects.requireNonNull(initial, "initial must not be null");
        Objects.requireNonNull(max, "max must not be null");
        if (initial.isNegative() || initial.isZero()) {
            throw new IllegalArgumentException("The initial backoff must be positive, was " + initial);
        }
        if (!(multiplier >= 1.0) || Double.isInfinite(multiplier)) {
            throw new IllegalArgumentException("The backoff multiplier must be at least 1, was " + multiplier);
        }
        if (max.compareTo(initial) < 0) {
            throw new IllegalArgumentException("The maximum backoff " + max + " is shorter than the initial " + initial);
        }
    }

    /**
     * Returns the wait after a failed attempt: {@link #backoff()}'s delay, cut to whole milliseconds, or {@code max}
     * when it reaches it.
     * @param attempt the attempt that failed, from 1
     * @return the wait
     */
    public Duration delayAfter(int attempt) {
        Duration delay = backoff().delay(attempt, NO_JITTER);
        return (delay.compareTo(this.max) >= 0) ? this.max : Duration.ofMillis(delay.toMillis());
    }

    /**
     * Returns this backoff as quark-core's {@link Backoff}, without jitter.
     * @return the backoff
     */
    public Backoff backoff() {
        return Backoff.exponential(this.initial, this.max, this.multiplier, 0.0);
    }
}
