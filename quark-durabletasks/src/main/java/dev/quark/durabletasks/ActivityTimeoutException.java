package dev.quark.durabletasks;

import java.time.Duration;

/**
 * An activity attempt ran longer than its start-to-close timeout, or the whole call longer than its
 * schedule-to-close timeout ({@link ActivityOptions}). Recorded as the attempt's or the call's failure.
 */
public class ActivityTimeoutException extends DurableTaskException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     * @param activityName the activity
     * @param timeout which timeout: {@code start-to-close} or {@code schedule-to-close}
     * @param timeoutValue how long it is
     */
    public ActivityTimeoutException(String activityName, String timeout, Duration timeoutValue) {
        super("Activity '" + activityName + "' exceeded its " + timeout + " timeout of " + timeoutValue);
    }
}
