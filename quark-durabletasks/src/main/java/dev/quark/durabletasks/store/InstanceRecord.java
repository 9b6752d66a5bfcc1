package dev.quark.durabletasks.store;

import java.time.Instant;
import java.util.Objects;

import dev.quark.durabletasks.FailureDetails;
import dev.quark.durabletasks.OrchestrationStatus;
import dev.quark.durabletasks.history.ParentInstance;
import org.jspecify.annotations.Nullable;

/**
 * An orchestration instance as a store keeps it: the current execution's status, input and outcome, and how long
 * its history is.
 *
 * @param instanceId the id
 * @param name the orchestration's name
 * @param status the status
 * @param execution the current execution, 1 for the first
 * @param historyLength how many events the current execution's history has: the sequence number of the next one
 * @param input the current execution's input as JSON
 * @param output the output as JSON, once completed
 * @param failure the failure, once failed
 * @param parent the parent, when a sub-orchestration
 * @param createdAt when it was scheduled
 * @param updatedAt when it last changed
 * @param startAt when its first step may run
 * @param customStatus the custom status the orchestration set, as JSON
 * @param version the version of the orchestration's code its current execution started with;
 * {@link dev.quark.durabletasks.history.ExecutionStarted#UNKNOWN_VERSION} until the first step of an instance
 * scheduled by a client that does not have the orchestration registered
 */
public record InstanceRecord(String instanceId, String name, OrchestrationStatus status, int execution,
        int historyLength, @Nullable String input, @Nullable String output, @Nullable FailureDetails failure,
        @Nullable ParentInstance parent, Instant createdAt, Instant updatedAt, Instant startAt,
        @Nullable String customStatus, int version) {

    /**
     * Creates a record of version 0.
     * @param instanceId the id
     * @param name the orchestration's name
     * @param status the status
     * @param execution the current execution, 1 for the first
     * @param historyLength how many events the current execution's history has
     * @param input the current execution's input as JSON
     * @param output the output as JSON, once completed
     * @param failure the failure, once failed
     * @param parent the parent, when a sub-orchestration
     * @param createdAt when it was scheduled
     * @param updatedAt when it last changed
     * @param startAt when its first step may run
     * @param customStatus the custom status the orchestration set, as JSON
     */
    public InstanceRecord(String instanceId, String name, OrchestrationStatus status, int execution,
            int historyLength, @Nullable String input, @Nullable String output, @Nullable FailureDetails failure,
            @Nullable ParentInstance parent, Instant createdAt, Instant updatedAt, Instant startAt,
            @Nullable String customStatus) {
        this(instanceId, name, status, execution, historyLength, input, output, failure, parent, createdAt, updatedAt,
                startAt, customStatus, 0);
    }

    /**
     * Creates a record without a custom status.
     * @param instanceId the id
     * @param name the orchestration's name
     * @param status the status
     * @param execution the current execution, 1 for the first
     * @param historyLength how many events the current execution's history has
     * @param input the current execution's input as JSON
     * @param output the output as JSON, once completed
     * @param failure the failure, once failed
     * @param parent the parent, when a sub-orchestration
     * @param createdAt when it was scheduled
     * @param updatedAt when it last changed
     * @param startAt when its first step may run
     */
    public InstanceRecord(String instanceId, String name, OrchestrationStatus status, int execution,
            int historyLength, @Nullable String input, @Nullable String output, @Nullable FailureDetails failure,
            @Nullable ParentInstance parent, Instant createdAt, Instant updatedAt, Instant startAt) {
        this(instanceId, name, status, execution, historyLength, input, output, failure, parent, createdAt, updatedAt,
                startAt, null);
    }

    /**
     * Validates the record.
     */
    public InstanceRecord {
        Objects.requireNonNull(instanceId, "instanceId must not be null");
        Objects.requireNonNull(name, "name must not be null");
        Objects.requireNonNull(status, "status must not be null");
        Objects.requireNonNull(createdAt, "createdAt must not be null");
        Objects.requireNonNull(updatedAt, "updatedAt must not be null");
        Objects.requireNonNull(startAt, "startAt must not be null");
    }
}
