package dev.quark.durabletasks;

import java.util.Collection;
import java.util.TreeSet;

/**
 * The code of an orchestration instance registered no handler for the query asked
 * ({@link OrchestrationContext#setQueryHandler}).
 */
public class UnknownQueryException extends DurableTaskException {

    private static final long serialVersionUID = 1L;

    private final String instanceId;

    private final String queryName;

    /**
     * Creates the exception.
     * @param instanceId the instance queried
     * @param orchestration its orchestration
     * @param queryName the query asked
     * @param known the queries its code answers
     */
    public UnknownQueryException(String instanceId, String orchestration, String queryName, Collection<String> known) {
        super("Orchestration '" + orchestration + "' instance '" + instanceId + "' answers no query '" + queryName
                + "'; it answers: " + new TreeSet<>(known));
        this.instanceId = instanceId;
        this.queryName = queryName;
    }

    private UnknownQueryException(String message, String instanceId, String queryName) {
        super(message);
        this.instanceId = instanceId;
        this.queryName = queryName;
    }

    /**
     * Rebuilds the exception another silo threw, with the message written there.
     * @param message the message as written there
     * @param instanceId the field of that name
     * @param queryName the field of that name
     * @return the exception
     */
    public static UnknownQueryException crossedSilos(String message, String instanceId, String queryName) {
        return new UnknownQueryException(message, instanceId, queryName);
    }

    /**
     * Returns the instance queried.
     * @return the instance id
     */
    public String getInstanceId() {
        return this.instanceId;
    }

    /**
     * Returns the query asked.
     * @return the name
     */
    public String getQueryName() {
        return this.queryName;
    }
}
