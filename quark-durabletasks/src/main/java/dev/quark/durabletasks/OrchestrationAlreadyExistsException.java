package dev.quark.durabletasks;

/**
 * An instance id asked for when scheduling belongs to an instance of another orchestration. (Scheduling an id that
 * belongs to an instance of the same orchestration is idempotent.)
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
}
