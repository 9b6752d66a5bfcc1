package dev.quark.jobs;

/**
 * No workflow has this id: it never existed.
 */
public class WorkflowNotFoundException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final WorkflowId id;

    /**
     * Creates the exception.
     * @param id the id
     */
    public WorkflowNotFoundException(WorkflowId id) {
        super("No workflow with id " + id);
        this.id = id;
    }

    private WorkflowNotFoundException(String message, WorkflowId id, boolean crossedSilos) {
        super(message);
        this.id = id;
    }

    /**
     * Rebuilds the exception another silo threw, with the message written there.
     * @param message the message as written there
     * @param id the field of that name
     * @return the exception
     */
    public static WorkflowNotFoundException crossedSilos(String message, WorkflowId id) {
        return new WorkflowNotFoundException(message, id, true);
    }

    /**
     * Returns the id.
     * @return the id
     */
    public WorkflowId getId() {
        return this.id;
    }
}
