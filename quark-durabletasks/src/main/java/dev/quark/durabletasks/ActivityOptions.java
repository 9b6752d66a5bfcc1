package dev.quark.durabletasks;

import java.time.Duration;
import java.util.Objects;

import org.jspecify.annotations.Nullable;

/**
 * How an activity call is run: its retries and its timeouts. Immutable.
 * <ul>
 * <li>{@code startToCloseTimeout}: how long one attempt may run. An attempt that takes longer is interrupted, its
 * result discarded, and it counts as a failed attempt ({@link ActivityTimeoutException}), retried as the
 * {@link RetryOptions} say.</li>
 * <li>{@code scheduleToCloseTimeout}: how long the call may take in all, from the moment the orchestration made it,
 * retries and waits included. When it passes, no further attempt is made and the call fails.</li>
 * </ul>
 *
 * @param retry the retries
 * @param startToCloseTimeout the longest attempt, {@code null} for no limit
 * @param scheduleToCloseTimeout the longest call, {@code null} for no limit
 */
public record ActivityOptions(RetryOptions retry, @Nullable Duration startToCloseTimeout,
        @Nullable Duration scheduleToCloseTimeout) {

    /** One attempt, no timeouts. */
    public static final ActivityOptions DEFAULTS = new ActivityOptions(RetryOptions.NONE, null, null);

    /**
     * Validates the options.
     * @throws IllegalArgumentException when a timeout is not positive
     */
    public ActivityOptions {
        Objects.requireNonNull(retry, "retry must not be null");
        requirePositive("startToCloseTimeout", startToCloseTimeout);
        requirePositive("scheduleToCloseTimeout", scheduleToCloseTimeout);
    }

    /**
     * Returns options with retries and no timeouts.
     * @param maxAttempts how many attempts in all
     * @param firstDelay the wait before the first retry, doubling for each next one
     * @return the options
     */
    public static ActivityOptions retry(int maxAttempts, Duration firstDelay) {
        return DEFAULTS.withRetry(RetryOptions.of(maxAttempts, firstDelay));
    }

    /**
     * Returns these options with other retries.
     * @param retry the retries
     * @return the options
     */
    public ActivityOptions withRetry(RetryOptions retry) {
        return new ActivityOptions(retry, this.startToCloseTimeout, this.scheduleToCloseTimeout);
    }

    /**
     * Returns these options with a limit on each attempt.
     * @param timeout the longest attempt
     * @return the options
     */
    public ActivityOptions withStartToCloseTimeout(Duration timeout) {
        return new ActivityOptions(this.retry, timeout, this.scheduleToCloseTimeout);
    }

    /**
     * Returns these options with a limit on the whole call.
     * @param timeout the longest call, retries included
     * @return the options
     */
    public ActivityOptions withScheduleToCloseTimeout(Duration timeout) {
        return new ActivityOptions(this.retry, this.startToCloseTimeout, timeout);
    }

    private static void requirePositive(String name, @Nullable Duration timeout) {
        if (timeout != null && (timeout.isZero() || timeout.isNegative())) {
            throw new IllegalArgumentException(name + " must be positive, was " + timeout);
        }
    }
}
