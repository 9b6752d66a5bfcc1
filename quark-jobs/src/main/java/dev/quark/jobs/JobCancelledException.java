package dev.quark.jobs;

/**
 * Thrown by {@link JobContext#throwIfCancellationRequested()}, and by a handler that stops because its job's
 * cancellation was requested: the job ends {@link JobStatus#CANCELLED}. Thrown when no cancellation was requested,
 * it counts as a failure like any other exception.
 */
public class JobCancelledException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     * @param message which job stopped
     */
    public JobCancelledException(String message) {
        super(message);
    }
}
