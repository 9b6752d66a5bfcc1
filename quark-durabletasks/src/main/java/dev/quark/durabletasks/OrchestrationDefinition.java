package dev.quark.durabletasks;

import java.lang.reflect.Type;
import java.util.Objects;
import java.util.function.Supplier;

import org.jspecify.annotations.Nullable;

/**
 * An orchestration a worker can run: its name, the types of its input and output, and where new instances of its
 * code come from (one per step of every execution).
 *
 * @param name the name
 * @param inputType the type its input is read as
 * @param outputType the type of its output
 * @param factory creates the code for one step
 */
public record OrchestrationDefinition(String name, Type inputType, Type outputType,
        Supplier<? extends Orchestration<?, ?>> factory) {

    /**
     * Validates the definition.
     */
    public OrchestrationDefinition {
        DurableTaskRegistry.requireName(name);
        Objects.requireNonNull(inputType, "inputType must not be null");
        Objects.requireNonNull(outputType, "outputType must not be null");
        Objects.requireNonNull(factory, "factory must not be null");
    }

    /**
     * Creates the code for one step.
     * @return a new instance
     * @throws IllegalStateException when the factory returns {@code null}
     */
    @SuppressWarnings("unchecked")
    public Orchestration<@Nullable Object, @Nullable Object> create() {
        Orchestration<?, ?> orchestration = this.factory.get();
        if (orchestration == null) {
            throw new IllegalStateException("The factory of orchestration '" + this.name + "' returned null");
        }
        return (Orchestration<@Nullable Object, @Nullable Object>) orchestration;
    }
}
