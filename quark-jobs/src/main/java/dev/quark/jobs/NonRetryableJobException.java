package dev.quark.jobs;

/**
 * Thrown by a handler for a failure that another attempt cannot fix (invalid input, a refused operation): the job
 * is dead-lettered at once, whatever its {@link RetryPolicy}.
 */
public class NonRetryableJobException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     * @param message why the job cannot succeed
     */
    public NonRetryableJobException(String message) {
        super(message);
    }

    /**
     * Creates the exception.
     * @param message why the job cannot succeed
     * @param cause the failure
     */
    public NonRetryableJobException(String message, Throwable cause) {
        super(message, cause);
    }
}
