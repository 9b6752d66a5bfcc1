package dev.quark.messaging.runtime;

import java.time.Duration;
import java.util.Objects;

/**
 * Exponential backoff between delivery attempts: {@code initial × multiplier^(attempt-1)}, at most {@code max}.
 *
 * @param initial the wait after the first failed attempt, positive
 * @param multiplier the growth per attempt, at least 1
 * @param max the longest wait, at least {@code initial}
 */
public record RetryBackoff(Duration initial, double multiplier, Duration max) {

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
     * Returns the wait after a failed attempt.
     * @param attempt the attempt that failed, from 1
     * @return the wait
     */
    public Duration delayAfter(int attempt) {
        double millis = this.initial.toMillis() * Math.pow(this.multiplier, Math.max(0, attempt - 1));
        return (millis >= this.max.toMillis()) ? this.max : Duration.ofMillis((long) millis);
    }
}
