package dev.quark.jobs.store.memory;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.quark.jobs.WorkflowId;
import dev.quark.jobs.store.StoredWorkflow;
import dev.quark.jobs.store.WorkflowStore;
import org.jspecify.annotations.Nullable;

/**
 * Keeps workflows in a map of this JVM: for tests and single-node applications.
 */
public class InMemoryWorkflowStore implements WorkflowStore {

    private final ConcurrentSkipListMap<WorkflowId, StoredWorkflow> workflows = new ConcurrentSkipListMap<>();

    @Override
    public void create(StoredWorkflow workflow) {
        Objects.requireNonNull(workflow, "workflow must not be null");
        if (this.workflows.putIfAbsent(workflow.id(), versioned(workflow, 1)) != null) {
            throw new IllegalStateException("A workflow with id " + workflow.id() + " exists");
        }
    }

    @Override
    public Optional<StoredWorkflow> find(WorkflowId id) {
        return Optional.ofNullable(this.workflows.get(Objects.requireNonNull(id, "id must not be null")));
    }

    @Override
    public boolean update(StoredWorkflow workflow, long expectedVersion) {
        Objects.requireNonNull(workflow, "workflow must not be null");
        AtomicBoolean replaced = new AtomicBoolean();
        // ConcurrentSkipListMap may apply the function again after a lost race: each call says afresh whether it
        // replaces, so that only the call whose result was installed counts.
        this.workflows.computeIfPresent(workflow.id(), (id, stored) -> {
            boolean matches = stored.version() == expectedVersion;
            replaced.set(matches);
            return matches ? versioned(workflow, expectedVersion + 1) : stored;
        });
        return replaced.get();
    }

    @Override
    public List<WorkflowId> active(@Nullable WorkflowId after, int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be positive, was " + limit);
        }
        return ((after != null) ? this.workflows.tailMap(after, false) : this.workflows).values()
            .stream()
            .filter(StoredWorkflow::active)
            .limit(limit)
            .map(StoredWorkflow::id)
            .toList();
    }

    private static StoredWorkflow versioned(StoredWorkflow workflow, long version) {
        return new StoredWorkflow(workflow.id(), workflow.name(), workflow.status(), workflow.active(), version,
                workflow.document(), workflow.createdAt(), workflow.updatedAt());
    }

    @Override
    public String toString() {
        return "InMemoryWorkflowStore[" + this.workflows.size() + " workflows]";
    }
}
