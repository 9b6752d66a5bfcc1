package dev.quark.durabletasks;

/**
 * An instance's history grew past the limit a worker allows; the instance fails. Long-lived orchestrations use
 * {@link OrchestrationContext#continueAsNew} to start over with an empty history.
 */
public class HistoryLimitExceededException extends DurableTaskException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     * @param instanceId the instance
     * @param events how many events its history would have
     * @param limit the limit
     */
    public HistoryLimitExceededException(String instanceId, int events, int limit) {
        super("The history of orchestration instance '" + instanceId + "' would have " + events
                + " events, more than the limit of " + limit + ": use continueAsNew for long-lived orchestrations");
    }
}
