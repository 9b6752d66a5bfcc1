package dev.quark.jobs;

import java.time.Duration;

/**
 * The failure recorded for an attempt that ran longer than its timeout: the handler's thread was interrupted,
 * and the attempt counts as failed (retried as the {@link RetryPolicy} says).
 */
public class JobTimeoutException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final JobId id;

    private final String type;

    private final int attempt;

    private final Duration timeout;

    /**
     * Creates the exception.
     * @param id the job
     * @param type its type
     * @param attempt the attempt that timed out
     * @param timeout the timeout
     */
    public JobTimeoutException(JobId id, String type, int attempt, Duration timeout) {
        this("Attempt " + attempt + " of job " + id + " (" + type + ") did not finish within its timeout of " + timeout
                + "; its thread was interrupted", id, type, attempt, timeout);
    }

    private JobTimeoutException(String message, JobId id, String type, int attempt, Duration timeout) {
        super(message);
        this.id = id;
        this.type = type;
        this.attempt = attempt;
        this.timeout = timeout;
    }

    /**
     * Rebuilds the exception another silo threw, with the message written there.
     * @param message the message as written there
     * @param id the field of that name
     * @param type the field of that name
     * @param attempt the field of that name
     * @param timeout the field of that name
     * @return the exception
     */
    public static JobTimeoutException crossedSilos(String message, JobId id, String type, int attempt,
            Duration timeout) {
        return new JobTimeoutException(message, id, type, attempt, timeout);
    }

    /**
     * Returns the job.
     * @return the job's id
     */
    public JobId getId() {
        return this.id;
    }

    /**
     * Returns the job's type.
     * @return the type
     */
    public String getType() {
        return this.type;
    }

    /**
     * Returns the attempt that timed out.
     * @return the attempt's number
     */
    public int getAttempt() {
        return this.attempt;
    }

    /**
     * Returns the timeout the attempt exceeded.
     * @return the timeout
     */
    public Duration getTimeout() {
        return this.timeout;
    }
}
