package dev.quark.jobs;

import java.util.List;
import java.util.Objects;

import org.jspecify.annotations.Nullable;

/**
 * Where one step of a stored workflow is.
 *
 * @param name the step's name
 * @param type its job type
 * @param jobId the id its job has, or will have once it runs ({@link JobQueue#find} finds it from then on)
 * @param status where the step is
 * @param jobStatus its job's status as read, or {@code null} while it has no job (waiting, skipped)
 * @param dependencies the steps it waits for
 */
public record WorkflowStepState(String name, String type, JobId jobId, StepStatus status, @Nullable JobStatus jobStatus,
        List<StepDependency> dependencies) {

    /**
     * Validates the state.
     */
    public WorkflowStepState {
        Objects.requireNonNull(name, "name must not be null");
        Objects.requireNonNull(type, "type must not be null");
        Objects.requireNonNull(jobId, "jobId must not be null");
        Objects.requireNonNull(status, "status must not be null");
        dependencies = List.copyOf(dependencies);
    }
}
