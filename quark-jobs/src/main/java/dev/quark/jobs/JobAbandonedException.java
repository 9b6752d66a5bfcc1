package dev.quark.jobs;

import org.jspecify.annotations.Nullable;

/**
 * The failure recorded for an attempt whose worker stopped renewing its lease before the attempt finished (the
 * node crashed, froze or lost the store), found when another worker took the job over. It counts as a failed
 * attempt, so that a job that kills its node every time ends in the dead letters instead of looping.
 */
public class JobAbandonedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final JobId id;

    private final int attempt;

    private final @Nullable String owner;

    /**
     * Creates the exception.
     * @param id the job
     * @param attempt the abandoned attempt
     * @param owner the worker that abandoned it, or {@code null} when not known
     */
    public JobAbandonedException(JobId id, int attempt, @Nullable String owner) {
        this("Attempt " + attempt + " of job " + id + " was abandoned by "
                + ((owner != null) ? "'" + owner + "'" : "its worker")
                + ": its lease expired before the attempt finished", id, attempt, owner);
    }

    private JobAbandonedException(String message, JobId id, int attempt, @Nullable String owner) {
        super(message);
        this.id = id;
        this.attempt = attempt;
        this.owner = owner;
    }

    /**
     * Rebuilds the exception another silo threw, with the message written there.
     * @param message the message as written there
     * @param id the field of that name
     * @param attempt the field of that name
     * @param owner the field of that name, {@code null} when not known
     * @return the exception
     */
    public static JobAbandonedException crossedSilos(String message, JobId id, int attempt,
            @Nullable String owner) {
        return new JobAbandonedException(message, id, attempt, owner);
    }

    /**
     * Returns the job.
     * @return the job's id
     */
    public JobId getId() {
        return this.id;
    }

    /**
     * Returns the abandoned attempt.
     * @return the attempt's number
     */
    public int getAttempt() {
        return this.attempt;
    }

    /**
     * Returns the worker that abandoned the attempt.
     * @return its owner name, or {@code null} when not known
     */
    public @Nullable String getOwner() {
        return this.owner;
    }
}
