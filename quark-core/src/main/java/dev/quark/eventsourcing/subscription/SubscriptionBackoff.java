package dev.quark.eventsourcing.subscription;

import java.time.Duration;
import java.util.Objects;

/**
 * The wait before a failed subscription tries the same event again: {@code initial}, doubling with each failure in a
 * row, at most {@code max}.
 *
 * @param initial the wait after the first failure, positive
 * @param max the longest wait, at least {@code initial}
 */
public record SubscriptionBackoff(Duration initial, Duration max) {

    /**
     * Validates the waits.
     * @throws IllegalArgumentException naming the value
     */
    public SubscriptionBackoff {
        Objects.requireNonNull(initial, "initial must not be null");
        Objects.requireNonNull(max, "max must not be null");
        if (initial.isNegative() || initial.isZero()) {
            throw new IllegalArgumentException("Subscription back-off initial must be positive, was " + initial);
        }
        if (max.compareTo(initial) < 0) {
            throw new IllegalArgumentException("Subscription back-off max (" + max + ") must not be less than initial ("
                    + initial + ")");
        }
    }

    /**
     * Returns the wait after a number of failures in a row.
     * @param failures the failures in a row, from 1
     * @return {@code min(max, initial * 2^(failures - 1))}
     */
    public Duration delayAfter(int failures) {
        Duration delay = this.initial;
        for (int failure = 1; failure < failures && delay.compareTo(this.max) < 0; failure++) {
            delay = delay.multipliedBy(2);
        }
        return (delay.compareTo(this.max) > 0) ? this.max : delay;
    }
}
