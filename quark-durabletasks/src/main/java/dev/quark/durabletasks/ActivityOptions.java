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
 * <li>{@code heartbeatTimeout}: how long an attempt may go without {@link ActivityContext#heartbeat()}, from its
 * start and from each heartbeat. An attempt that misses it is interrupted, its result discarded, and it counts as a
 * failed attempt ({@link ActivityTimeoutException}), retried as the {@link RetryOptions} say: long activities
 * heartbeat, so that a hung one is retried early without a tight start-to-close timeout.</li>
 * </ul>
 *
 * @param retry the retries
 * @param startToCloseTimeout the longest attempt, {@code null} for no limit
 * @param scheduleToCloseTimeout the longest call, {@code null} for no limit
 * @param heartbeatTimeout the longest time between heartbeats, {@code null} for no limit
 */
public record ActivityOptions(RetryOptions retry, @Nullable Duration startToCloseTimeout,
        @Nullable Duration scheduleToCloseTimeout, @Nullable Duration heartbeatTimeout) {

    /** One attempt, no timeouts. */
    public static final ActivityOptions DEFAULTS = new ActivityOptions(RetryOptions.NONE, null, null, null);

    /**
     * Validates the options.
     * @throws IllegalArgumentException when a timeout is not positive
     */
    public ActivityOptions {
        Objects.requireNonNull(retry, "retry must not be null");
        requirePositive("startToCloseTimeout", startToCloseTimeout);
        requirePositive("scheduleToCloseTimeout", scheduleToCloseTimeout);
        requirePositive("heartbeatTimeout", heartbeatTimeout);
    }

    /**
     * Creates options without a heartbeat timeout.
     * @param retry the retries
     * @param startToCloseTimeout the longest attempt, {@code null} for no limit
     * @param scheduleToCloseTimeout the longest call, {@code null} for no limit
     */
    public ActivityOptions(RetryOptions retry, @Nullable Duration startToCloseTimeout,
            @Nullable Duration scheduleToCloseTimeout) {
        this(retry, startToCloseTimeout, scheduleToCloseTimeout, null);
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
        return new ActivityOptions(retry, this.startToCloseTimeout, this.scheduleToCloseTimeout, this.heartbeatTimeout);
    }

    /**
     * Returns these options with a limit on each attempt.
     * @param timeout the longest attempt
     * @return the options
     */
    public ActivityOptions withStartToCloseTimeout(Duration timeout) {
        return new ActivityOptions(this.retry, timeout, this.scheduleToCloseTimeout, this.heartbeatTimeout);
    }

    /**
     * Returns these options with a limit on the whole call.
     * @param timeout the longest call, retries included
     * @return the options
     */
    public ActivityOptions withScheduleToCloseTimeout(Duration timeout) {
        return new ActivityOptions(this.retry, this.startToCloseTimeout, timeout, this.heartbeatTimeout);
    }

    /**
     * Returns these options with a heartbeat timeout.
     * @param timeout the longest time between heartbeats
     * @return the options
     */
    public ActivityOptions withHeartbeatTimeout(Duration timeout) {
        return new ActivityOptions(this.retry, this.startToCloseTimeout, this.scheduleToCloseTimeout, timeout);
    }

    private static void requirePositive(String name, @Nullable Duration timeout) {
        if (timeout != null && (timeout.isZero() || timeout.isNegative())) {
            throw new IllegalArgumentException(name + " must be positive, was " + timeout);
        }
    }
}
