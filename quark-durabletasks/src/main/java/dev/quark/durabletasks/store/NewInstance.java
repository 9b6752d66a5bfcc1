package dev.quark.durabletasks.store;

import java.time.Instant;
import java.util.Objects;

import dev.quark.durabletasks.history.ParentInstance;
import org.jspecify.annotations.Nullable;

/**
 * An instance to create: {@link DurableTaskStore#create} stores it as {@code PENDING}, execution 1, with an empty
 * history and an {@link dev.quark.durabletasks.history.ExecutionStarted} message visible at {@code startAt}.
 *
 * @param instanceId the id
 * @param name the orchestration's name
 * @param input the input as JSON
 * @param parent the parent, for a sub-orchestration
 * @param createdAt when it is created
 * @param startAt when its first step may run
 * @param version the version of the orchestration's code it is scheduled with
 */
public record NewInstance(String instanceId, String name, @Nullable String input, @Nullable ParentInstance parent,
        Instant createdAt, Instant startAt, int version) {

    /**
     * Creates an instance of version 0.
     * @param instanceId the id
     * @param name the orchestration's name
     * @param input the input as JSON
     * @param parent the parent, for a sub-orchestration
     * @param createdAt when it is created
     * @param startAt when its first step may run
     */
    public NewInstance(String instanceId, String name, @Nullable String input, @Nullable ParentInstance parent,
            Instant createdAt, Instant startAt) {
        this(instanceId, name, input, parent, createdAt, startAt, 0);
    }

    /**
     * Validates the instance.
     */
    public NewInstance {
        Objects.requireNonNull(instanceId, "instanceId must not be null");
        Objects.requireNonNull(name, "name must not be null");
        Objects.requireNonNull(createdAt, "createdAt must not be null");
        Objects.requireNonNull(startAt, "startAt must not be null");
    }
}
