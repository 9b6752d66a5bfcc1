package dev.quark.durabletasks;

/**
 * The handler of a query threw, or wrote a result the payload converter could not write; the cause says what.
 * Nothing about the instance changed.
 */
public class QueryFailedException extends DurableTaskException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     * @param instanceId the instance queried
     * @param queryName the query
     * @param cause what the handler threw
     */
    public QueryFailedException(String instanceId, String queryName, Throwable cause) {
        super("Query '" + queryName + "' of orchestration instance '" + instanceId + "' failed: " + cause, cause);
    }
}
