package dev.quark.jobs;

/**
 * The failure recorded for an attempt whose worker stopped renewing its lease before the attempt finished (the
 * node crashed, froze or lost the store), found when another worker took the job over. It counts as a failed
 * attempt, so that a job that kills its node every time ends in the dead letters instead of looping.
 */
public class JobAbandonedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     * @param id the job
     * @param attempt the abandoned attempt
     * @param owner the worker that abandoned it, or {@code null} when not known
     */
    public JobAbandonedException(JobId id, int attempt, @org.jspecify.annotations.Nullable String owner) {
        super("Attempt " + attempt + " of job " + id + " was abandoned by " + ((owner != null) ? "'" + owner + "'" : "its worker")
                + ": its lease expired before the attempt finished");
    }

    private JobAbandonedException(String message, boolean crossedSilos) {
        super(message);
    }

    /**
     * Rebuilds the exception another silo threw, with the message written there.
     * @param message the message as written there
     * @return the exception
     */
    public static JobAbandonedException crossedSilos(String message) {
        return new JobAbandonedException(message, true);
    }
}
