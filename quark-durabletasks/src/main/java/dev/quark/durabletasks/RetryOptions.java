package dev.quark.durabletasks;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * How often a failed activity attempt is tried again, and how long the worker waits in between: the first retry after
 * {@code firstDelay}, each next one {@code backoffCoefficient} times longer, at most {@code maxDelay}. Retries
 * happen on the activity queue, on the worker's clock; only the final outcome reaches the orchestration's history.
 * Immutable.
 *
 * @param maxAttempts how many attempts in all, at least 1 (1 means no retry)
 * @param firstDelay the wait before the first retry, not negative
 * @param backoffCoefficient how much longer each next wait is, at least 1
 * @param maxDelay the longest wait, at least {@code firstDelay}
 * @param doNotRetry the names of the exception classes that fail the activity at once, subclasses included
 */
public record RetryOptions(int maxAttempts, Duration firstDelay, double backoffCoefficient, Duration maxDelay,
        List<String> doNotRetry) {

    /** One attempt, no retry. */
    public static final RetryOptions NONE = new RetryOptions(1, Duration.ZERO, 1, Duration.ZERO, List.of());

    /**
     * Validates the options.
     * @throws IllegalArgumentException naming the bad value
     */
    public RetryOptions {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1, was " + maxAttempts);
        }
        Objects.requireNonNull(firstDelay, "firstDelay must not be null");
        Objects.requireNonNull(maxDelay, "maxDelay must not be null");
        if (firstDelay.isNegative()) {
            throw new IllegalArgumentException("firstDelay must not be negative, was " + firstDelay);
        }
        if (!(backoffCoefficient >= 1)) {
            throw new IllegalArgumentException("backoffCoefficient must be at least 1, was " + backoffCoefficient);
        }
        if (maxDelay.compareTo(firstDelay) < 0) {
            throw new IllegalArgumentException("maxDelay " + maxDelay + " must not be shorter than firstDelay " + firstDelay);
        }
        doNotRetry = List.copyOf(doNotRetry);
    }

    /**
     * Returns options with a number of attempts and exponential backoff (coefficient 2, at most 100 times the first
     * delay).
     * @param maxAttempts how many attempts in all
     * @param firstDelay the wait before the first retry
     * @return the options
     */
    public static RetryOptions of(int maxAttempts, Duration firstDelay) {
        return new RetryOptions(maxAttempts, firstDelay, 2, firstDelay.multipliedBy(100), List.of());
    }

    /**
     * Returns these options with another backoff coefficient and longest wait.
     * @param coefficient how much longer each next wait is
     * @param maxDelay the longest wait
     * @return the options
     */
    public RetryOptions withBackoff(double coefficient, Duration maxDelay) {
        return new RetryOptions(this.maxAttempts, this.firstDelay, coefficient, maxDelay, this.doNotRetry);
    }

    /**
     * Returns these options with exception classes that are never retried.
     * @param types the classes
     * @return the options
     */
    @SafeVarargs
    public final RetryOptions withDoNotRetry(Class<? extends Throwable>... types) {
        List<String> names = new ArrayList<>(types.length);
        for (Class<? extends Throwable> type : types) {
            names.add(type.getName());
        }
        return new RetryOptions(this.maxAttempts, this.firstDelay, this.backoffCoefficient, this.maxDelay, names);
    }

    /**
     * Returns the wait before an attempt.
     * @param attempt the attempt that is about to be made, 2 or more
     * @return the delay
     */
    public Duration delayBefore(int attempt) {
        double factor = Math.pow(this.backoffCoefficient, Math.max(0, attempt - 2));
        double millis = this.firstDelay.toMillis() * factor;
        if (!Double.isFinite(millis) || millis >= this.maxDelay.toMillis()) {
            return this.maxDelay;
        }
        return Duration.ofMillis((long) millis);
    }

    /**
     * Returns whether a failure may be retried, by its type.
     * @param failure the failure
     * @return whether none of {@link #doNotRetry()} names its class or a superclass of it
     */
    public boolean isRetryable(Throwable failure) {
        for (Class<?> type = failure.getClass(); type != null; type = type.getSuperclass()) {
            if (this.doNotRetry.contains(type.getName())) {
                return false;
            }
        }
        return true;
    }
}
