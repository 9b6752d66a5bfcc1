package dev.quark.jobs;

/**
 * A {@link JobFilter} refused a job in {@link JobFilter#beforeEnqueue}: nothing was stored. Thrown to the caller of
 * {@code enqueue}. It is a {@code RuntimeException}: thrown out of a {@code @Transactional} method it rolls the
 * caller's transaction back, its business writes with it; a caller that catches it and commits keeps its writes
 * without the job, by its own choice.
 */
public class JobVetoedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String filter;

    private final String reason;

    /**
     * Creates the exception.
     * @param filter the filter that vetoed, its class name
     * @param job what was vetoed, such as {@code the 'send-invoice' job}
     * @param reason why, as the filter said
     */
    public JobVetoedException(String filter, String job, String reason) {
        super("Job filter " + filter + " vetoed " + job + ": " + reason);
        this.filter = filter;
        this.reason = reason;
    }

    private JobVetoedException(String message, String filter, String reason, boolean crossedSilos) {
        super(message);
        this.filter = filter;
        this.reason = reason;
    }

    /**
     * Rebuilds the exception another silo threw, with the message written there.
     * @param message the message as written there
     * @param filter the field of that name
     * @param reason the field of that name
     * @return the exception
     */
    public static JobVetoedException crossedSilos(String message, String filter, String reason) {
        return new JobVetoedException(message, filter, reason, true);
    }

    /**
     * Returns the filter that vetoed the job.
     * @return its class name
     */
    public String getFilter() {
        return this.filter;
    }

    /**
     * Returns why the filter vetoed the job.
     * @return the reason
     */
    public String getReason() {
        return this.reason;
    }
}
