package dev.quark.jobs.store;

import java.util.List;
import java.util.Optional;

import dev.quark.jobs.WorkflowId;
import org.jspecify.annotations.Nullable;

/**
 * Keeps {@link dev.quark.jobs.JobWorkflow workflows}, beside the jobs of their steps in the {@link JobStore} of the
 * same backend. A workflow is one record written by compare-and-set on its version, so that nodes that advance it
 * at once cannot lose each other's writes. Quark ships {@code InMemoryWorkflowStore}, {@code RedisWorkflowStore} and
 * {@code JdbcWorkflowStore} (PostgreSQL); all pass {@code WorkflowStoreContractTests} in {@code quark-testkit}.
 * <p>
 * Implementations are thread-safe. A backend that cannot be reached surfaces as its client's exception.
 */
public interface WorkflowStore {

    /**
     * Stores a new workflow, at version 1.
     * @param workflow the workflow; its version is ignored
     * @throws IllegalStateException naming the id when a workflow has it
     */
    void create(StoredWorkflow workflow);

    /**
     * Reads a workflow.
     * @param id the id
     * @return the workflow, or empty
     */
    Optional<StoredWorkflow> find(WorkflowId id);

    /**
     * Replaces a workflow if it is still at the version read, its version counted up.
     * @param workflow the workflow as it should be; its version is ignored
     * @param expectedVersion the version it was read at
     * @return whether it was replaced; {@code false} when another write came first or it does not exist
     */
    boolean update(StoredWorkflow workflow, long expectedVersion);

    /**
     * Lists the ids of the workflows that still need advancing ({@link StoredWorkflow#active()}), in id order.
     * @param after the last id of the previous page, or {@code null} for the first
     * @param limit the most ids to return, at least 1
     * @return the ids
     */
    List<WorkflowId> active(@Nullable WorkflowId after, int limit);
}
