package dev.quark.jobs;

import java.time.Duration;

/**
 * The failure recorded for an attempt that ran longer than its timeout: the handler's thread was interrupted,
 * and the attempt counts as failed (retried as the {@link RetryPolicy} says).
 */
public class JobTimeoutException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     * @param id the job
     * @param type its type
     * @param attempt the attempt that timed out
     * @param timeout the timeout
     */
    public JobTimeoutException(JobId id, String type, int attempt, Duration timeout) {
        super("Attempt " + attempt + " of job " + id + " (" + type + ") did not finish within its timeout of " + timeout
                + "; its thread was interrupted");
    }

    private JobTimeoutException(String message, boolean crossedSilos) {
        super(message);
    }

    /**
     * Rebuilds the exception another silo threw, with the message written there.
     * @param message the message as written there
     * @return the exception
     */
    public static JobTimeoutException crossedSilos(String message) {
        return new JobTimeoutException(message, true);
    }
}
