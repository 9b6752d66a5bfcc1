package dev.quark.durabletasks.store;

import java.util.Objects;

/**
 * A sub-orchestration a commit creates, and what the parent is told when its id is taken.
 *
 * @param instance the child
 * @param ifExists the message to the parent when an instance with the child's id exists already (the child is then
 * not created)
 */
public record ChildInstance(NewInstance instance, TaskMessage ifExists) {

    /**
     * Validates the child.
     */
    public ChildInstance {
        Objects.requireNonNull(instance, "instance must not be null");
        Objects.requireNonNull(ifExists, "ifExists must not be null");
    }
}
