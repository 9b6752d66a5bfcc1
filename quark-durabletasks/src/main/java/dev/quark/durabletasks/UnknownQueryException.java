package dev.quark.durabletasks;

import java.util.Collection;
import java.util.TreeSet;

/**
 * The code of an orchestration instance registered no handler for the query asked
 * ({@link OrchestrationContext#setQueryHandler}).
 */
public class UnknownQueryException extends DurableTaskException {

    private static final long serialVersionUID = 1L;

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
        this.queryName = queryName;
    }

    /**
     * Returns the query asked.
     * @return the name
     */
    public String getQueryName() {
        return this.queryName;
    }
}
