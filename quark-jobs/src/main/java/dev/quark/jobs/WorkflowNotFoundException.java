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

    /**
     * Returns the id.
     * @return the id
     */
    public WorkflowId getId() {
        return this.id;
    }
}
