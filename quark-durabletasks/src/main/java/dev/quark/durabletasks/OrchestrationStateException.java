package dev.quark.durabletasks;

/**
 * An operation is not possible in an instance's status: terminating or raising an event to a finished instance,
 * purging one that has not finished.
 */
public class OrchestrationStateException extends DurableTaskException {

    private static final long serialVersionUID = 1L;

    private final String instanceId;

    private final OrchestrationStatus status;

    /**
     * Creates the exception.
     * @param instanceId the instance
     * @param status its status
     * @param operation what could not be done, for instance {@code terminate}
     * @param reason why, for instance {@code it has finished}
     */
    public OrchestrationStateException(String instanceId, OrchestrationStatus status, String operation, String reason) {
        super("Cannot " + operation + " orchestration instance '" + instanceId + "': it is " + status + " and " + reason);
        this.instanceId = instanceId;
        this.status = status;
    }

    private OrchestrationStateException(String message, String instanceId, OrchestrationStatus status, boolean crossedSilos) {
        super(message);
        this.instanceId = instanceId;
        this.status = status;
    }

    /**
     * Rebuilds the exception another silo threw, with the message written there.
     * @param message the message as written there
     * @param instanceId the field of that name
     * @param status the field of that name
     * @return the exception
     */
    public static OrchestrationStateException crossedSilos(String message, String instanceId, OrchestrationStatus status) {
        return new OrchestrationStateException(message, instanceId, status, true);
    }

    /**
     * Returns the instance.
     * @return the instance id
     */
    public String getInstanceId() {
        return this.instanceId;
    }

    /**
     * Returns the status that did not allow the operation.
     * @return the status
     */
    public OrchestrationStatus getStatus() {
        return this.status;
    }
}
