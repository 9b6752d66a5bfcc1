package dev.quark.jobs;

/**
 * No job has this id: it never existed, or it was purged.
 */
public class JobNotFoundException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final JobId id;

    /**
     * Creates the exception.
     * @param id the id
     */
    public JobNotFoundException(JobId id) {
        super("No job with id " + id + " (it never existed, or it was purged)");
        this.id = id;
    }

    private JobNotFoundException(String message, JobId id, boolean crossedSilos) {
        super(message);
        this.id = id;
    }

    /**
     * Rebuilds the exception another silo threw, with the message written there.
     * @param message the message as written there
     * @param id the field of that name
     * @return the exception
     */
    public static JobNotFoundException crossedSilos(String message, JobId id) {
        return new JobNotFoundException(message, id, true);
    }

    /**
     * Returns the id.
     * @return the id
     */
    public JobId getId() {
        return this.id;
    }
}
