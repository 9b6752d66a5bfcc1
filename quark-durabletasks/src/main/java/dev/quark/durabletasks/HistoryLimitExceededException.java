package dev.quark.durabletasks;

/**
 * An instance's history grew past the limit a worker allows; the instance fails. Long-lived orchestrations use
 * {@link OrchestrationContext#continueAsNew} to start over with an empty history.
 */
public class HistoryLimitExceededException extends DurableTaskException {

    private static final long serialVersionUID = 1L;

    private final String instanceId;

    private final int events;

    private final int limit;

    /**
     * Creates the exception.
     * @param instanceId the instance
     * @param events how many events its history would have
     * @param limit the limit
     */
    public HistoryLimitExceededException(String instanceId, int events, int limit) {
        this("The history of orchestration instance '" + instanceId + "' would have " + events
                + " events, more than the limit of " + limit + ": use continueAsNew for long-lived orchestrations",
                instanceId, events, limit);
    }

    private HistoryLimitExceededException(String message, String instanceId, int events, int limit) {
        super(message);
        this.instanceId = instanceId;
        this.events = events;
        this.limit = limit;
    }

    /**
     * Rebuilds the exception another silo threw, with the message written there.
     * @param message the message as written there
     * @param instanceId the field of that name
     * @param events the field of that name
     * @param limit the field of that name
     * @return the exception
     */
    public static HistoryLimitExceededException crossedSilos(String message, String instanceId, int events,
            int limit) {
        return new HistoryLimitExceededException(message, instanceId, events, limit);
    }

    /**
     * Returns the instance.
     * @return the instance id
     */
    public String getInstanceId() {
        return this.instanceId;
    }

    /**
     * Returns how many events the instance's history would have.
     * @return the number of events
     */
    public int getEvents() {
        return this.events;
    }

    /**
     * Returns the limit the worker allows.
     * @return the most events a history may have
     */
    public int getLimit() {
        return this.limit;
    }
}
