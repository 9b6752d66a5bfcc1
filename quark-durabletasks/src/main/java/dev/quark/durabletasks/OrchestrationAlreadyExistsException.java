package dev.quark.durabletasks;

/**
 * An instance id asked for when scheduling belongs to an instance of another orchestration, or to an instance that the
 * {@link InstanceIdReusePolicy} keeps. (By default, scheduling an id that belongs to an instance of the same
 * orchestration is idempotent.)
 */
public class OrchestrationAlreadyExistsException extends DurableTaskException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     * @param instanceId the id
     * @param existing the orchestration of the instance that has it
     * @param requested the orchestration asked for
     */
    public OrchestrationAlreadyExistsException(String instanceId, String existing, String requested) {
        super("Cannot schedule orchestration '" + requested + "' as instance '" + instanceId
                + "': that instance exists and runs orchestration '" + existing + "'");
    }

    private OrchestrationAlreadyExistsException(String message, boolean crossedSilos) {
        super(message);
    }

    /**
     * Rebuilds the exception another silo threw, with the message written there.
     * @param message the message as written there
     * @return the exception
     */
    public static OrchestrationAlreadyExistsException crossedSilos(String message) {
        return new OrchestrationAlreadyExistsException(message, true);
    }

    /**
     * Creates the exception for an instance that an id reuse policy keeps.
     * @param instanceId the id
     * @param existing the orchestration of the instance that has it
     * @param status that instance's status
     * @param policy the policy
     */
    public OrchestrationAlreadyExistsException(String instanceId, String existing, OrchestrationStatus status,
            InstanceIdReusePolicy policy) {
        super("Cannot schedule instance '" + instanceId + "': an instance of orchestration '" + existing
                + "' has that id and is " + status + ", which id reuse policy " + policy + " keeps");
    }
}
