package dev.quark.durabletasks;

/**
 * No orchestration instance has an id: it was never scheduled, or it was purged.
 */
public class OrchestrationNotFoundException extends DurableTaskException {

    private static final long serialVersionUID = 1L;

    private final String instanceId;

    /**
     * Creates the exception.
     * @param instanceId the id
     * @param operation what could not be done, for instance {@code raise event 'approved'}
     */
    public OrchestrationNotFoundException(String instanceId, String operation) {
        super("Cannot " + operation + ": no orchestration instance '" + instanceId + "' exists");
        this.instanceId = instanceId;
    }

    private OrchestrationNotFoundException(String message, String instanceId, boolean crossedSilos) {
        super(message);
        this.instanceId = instanceId;
    }

    /**
     * Rebuilds the exception another silo threw, with the message written there.
     * @param message the message as written there
     * @param instanceId the field of that name
     * @return the exception
     */
    public static OrchestrationNotFoundException crossedSilos(String message, String instanceId) {
        return new OrchestrationNotFoundException(message, instanceId, true);
    }

    /**
     * Returns the id.
     * @return the instance id
     */
    public String getInstanceId() {
        return this.instanceId;
    }
}
