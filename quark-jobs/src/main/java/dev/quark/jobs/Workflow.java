package dev.quark.jobs;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What the queue knows about an enqueued {@link JobWorkflow}: a snapshot of its status and its steps'.
 *
 * @param id its id
 * @param name the name it was built with
 * @param status the aggregate of its steps, or {@link WorkflowStatus#CANCELLED}
 * @param createdAt when it was enqueued
 * @param steps its steps, in the order they were declared
 */
public record Workflow(WorkflowId id, String name, WorkflowStatus status, Instant createdAt,
        List<WorkflowStepState> steps) {

    /**
     * Validates the workflow.
     */
    public Workflow {
        Objects.requireNonNull(id, "id must not be null");
        Objects.requireNonNull(name, "name must not be null");
        Objects.requireNonNull(status, "status must not be null");
        Objects.requireNonNull(createdAt, "createdAt must not be null");
        steps = List.copyOf(steps);
    }

    /**
     * Returns one step.
     * @param name the step's name
     * @return the step, or empty when the workflow has none of that name
     */
    public Optional<WorkflowStepState> step(String name) {
        return this.steps.stream().filter((step) -> step.name().equals(name)).findFirst();
    }

    /**
     * Returns a step's status.
     * @param name the step's name
     * @return its status
     * @throws IllegalArgumentException naming the step when the workflow has none of that name
     */
    public StepStatus statusOf(String name) {
        return step(name).orElseThrow(() -> new IllegalArgumentException("Workflow " + this.id + " ('" + this.name
                + "') has no step '" + name + "'")).status();
    }
}
