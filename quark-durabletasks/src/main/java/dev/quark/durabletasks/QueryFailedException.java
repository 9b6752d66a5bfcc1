package dev.quark.durabletasks;

import org.jspecify.annotations.Nullable;

/**
 * The handler of a query threw, or wrote a result the payload converter could not write; the cause says what.
 * Nothing about the instance changed.
 */
public class QueryFailedException extends DurableTaskException {

    private static final long serialVersionUID = 1L;

    private final String instanceId;

    private final String queryName;

    /**
     * Creates the exception.
     * @param instanceId the instance queried
     * @param queryName the query
     * @param cause what the handler threw
     */
    public QueryFailedException(String instanceId, String queryName, Throwable cause) {
        super("Query '" + queryName + "' of orchestration instance '" + instanceId + "' failed: " + cause, cause);
        this.instanceId = instanceId;
        this.queryName = queryName;
    }

    private QueryFailedException(String message, String instanceId, String queryName, @Nullable Throwable cause) {
        super(message, cause);
        this.instanceId = instanceId;
        this.queryName = queryName;
    }

    /**
     * Rebuilds the exception another silo threw, with the message written there.
     * @param message the message as written there
     * @param instanceId the field of that name
     * @param queryName the field of that name
     * @param cause the rebuilt cause, if it arrived
     * @return the exception
     */
    public static QueryFailedException crossedSilos(String message, String instanceId, String queryName,
            @Nullable Throwable cause) {
        return new QueryFailedException(message, instanceId, queryName, cause);
    }

    /**
     * Returns the instance queried.
     * @return the instance id
     */
    public String getInstanceId() {
        return this.instanceId;
    }

    /**
     * Returns the query.
     * @return the name
     */
    public String getQueryName() {
        return this.queryName;
    }
}
