package dev.quark.durabletasks;

import java.time.Duration;

/**
 * An activity attempt ran longer than its start-to-close timeout, or the whole call longer than its
 * schedule-to-close timeout ({@link ActivityOptions}). Recorded as the attempt's or the call's failure.
 */
public class ActivityTimeoutException extends DurableTaskException {

    private static final long serialVersionUID = 1L;

    private final String activityName;

    private final String timeout;

    private final Duration timeoutValue;

    /**
     * Creates the exception.
     * @param activityName the activity
     * @param timeout which timeout: {@code start-to-close} or {@code schedule-to-close}
     * @param timeoutValue how long it is
     */
    public ActivityTimeoutException(String activityName, String timeout, Duration timeoutValue) {
        this("Activity '" + activityName + "' exceeded its " + timeout + " timeout of " + timeoutValue, activityName,
                timeout, timeoutValue);
    }

    private ActivityTimeoutException(String message, String activityName, String timeout, Duration timeoutValue) {
        super(message);
        this.activityName = activityName;
        this.timeout = timeout;
        this.timeoutValue = timeoutValue;
    }

    /**
     * Rebuilds the exception another silo threw, with the message written there.
     * @param message the message as written there
     * @param activityName the field of that name
     * @param timeout the field of that name
     * @param timeoutValue the field of that name
     * @return the exception
     */
    public static ActivityTimeoutException crossedSilos(String message, String activityName, String timeout,
            Duration timeoutValue) {
        return new ActivityTimeoutException(message, activityName, timeout, timeoutValue);
    }

    /**
     * Returns the activity.
     * @return the activity's name
     */
    public String getActivityName() {
        return this.activityName;
    }

    /**
     * Returns which timeout was exceeded.
     * @return {@code start-to-close} or {@code schedule-to-close}
     */
    public String getTimeout() {
        return this.timeout;
    }

    /**
     * Returns how long the exceeded timeout is.
     * @return the timeout
     */
    public Duration getTimeoutValue() {
        return this.timeoutValue;
    }
}
