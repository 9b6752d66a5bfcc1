package dev.quark.jobs.store;

import java.time.Instant;
import java.util.Objects;

import dev.quark.jobs.WorkflowId;
import dev.quark.jobs.WorkflowStatus;

/**
 * A workflow as a {@link WorkflowStore} keeps it: its definition and its steps' recorded outcomes in one document
 * the store does not read, beside the columns it queries.
 *
 * @param id its id
 * @param name its name
 * @param status its aggregate status as last recorded
 * @param active whether some step has no recorded outcome yet, so that the workflow still needs advancing
 * @param version counts its writes; an update names the version it read
 * @param document its definition and state, JSON written by the runtime
 * @param createdAt when it was enqueued
 * @param updatedAt when it was last written
 */
public record StoredWorkflow(WorkflowId id, String name, WorkflowStatus status, boolean active, long version,
        String document, Instant createdAt, Instant updatedAt) {

    /**
     * Validates the workflow.
     */
    public StoredWorkflow {
        Objects.requireNonNull(id, "id must not be null");
        Objects.requireNonNull(name, "name must not be null");
        Objects.requireNonNull(status, "status must not be null");
        Objects.requireNonNull(document, "document must not be null");
        Objects.requireNonNull(createdAt, "createdAt must not be null");
        Objects.requireNonNull(updatedAt, "updatedAt must not be null");
    }
}
