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

    /**
     * Returns the id.
     * @return the id
     */
    public JobId getId() {
        return this.id;
    }
}
