package dev.quark.jobs;

import java.util.List;
import java.util.Objects;

/**
 * One step of a {@link JobWorkflow}: a job of a type, with its payload, that runs once its dependencies let it.
 *
 * @param name its name, unique in the workflow
 * @param type the job type, which names its handler
 * @param payload the job's payload
 * @param dependencies the steps it waits for, each with its condition; empty for a step that runs at once
 * @param failurePolicy what its failure does to the steps that need its success
 */
public record WorkflowStep(String name, String type, Object payload, List<StepDependency> dependencies,
        FailurePolicy failurePolicy) {

    /**
     * Validates the step.
     */
    public WorkflowStep {
        Objects.requireNonNull(name, "name must not be null");
        Objects.requireNonNull(type, "type must not be null");
        Objects.requireNonNull(payload, "payload must not be null");
        Objects.requireNonNull(failurePolicy, "failurePolicy must not be null");
        dependencies = List.copyOf(dependencies);
    }
}
