package dev.quark.jobs;

import org.jspecify.annotations.Nullable;

/**
 * A {@link JobWorkflow} that cannot be built or enqueued: no steps, two steps of one name, a dependency on a step
 * it does not have, a cycle, or a step whose type or payload the queue cannot take. The message names the workflow
 * and the step.
 */
public class InvalidWorkflowException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     * @param message what is wrong, naming the step
     * @param cause what the queue reported, or {@code null}
     */
    public InvalidWorkflowException(String message, @Nullable Throwable cause) {
        super(message, cause);
    }
}
