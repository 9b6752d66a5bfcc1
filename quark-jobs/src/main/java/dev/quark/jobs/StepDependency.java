package dev.quark.jobs;

import java.util.Objects;

/**
 * That a {@link JobWorkflow} step waits for another one to finish, and what it needs it to have done.
 *
 * @param step the name of the step waited for
 * @param condition how that step must have ended for the dependent to run
 */
public record StepDependency(String step, StepCondition condition) {

    /**
     * Validates the dependency.
     */
    public StepDependency {
        Objects.requireNonNull(step, "step must not be null");
        Objects.requireNonNull(condition, "condition must not be null");
    }
}
