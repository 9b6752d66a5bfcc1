package dev.quark.durabletasks;

import java.lang.reflect.Type;
import java.util.Objects;
import java.util.function.Supplier;

import org.jspecify.annotations.Nullable;

/**
 * An orchestration a worker can run: its name, the types of its input and output, where new instances of its code
 * come from (one per run of the code), and the version of its code recorded in the instances it schedules.
 *
 * @param name the name
 * @param inputType the type its input is read as
 * @param outputType the type of its output
 * @param factory creates the code for one run
 * @param version the version of the code, not negative ({@link TaskName#version()})
 */
public record OrchestrationDefinition(String name, Type inputType, Type outputType,
        Supplier<? extends Orchestration<?, ?>> factory, int version) {

    /**
     * Creates a definition of version 0.
     * @param name the name
     * @param inputType the type its input is read as
     * @param outputType the type of its output
     * @param factory creates the code for one run
     */
    public OrchestrationDefinition(String name, Type inputType, Type outputType,
            Supplier<? extends Orchestration<?, ?>> factory) {
        this(name, inputType, outputType, factory, 0);
    }

    /**
     * Validates the definition.
     */
    public OrchestrationDefinition {
        DurableTaskRegistry.requireName(name);
        if (version < 0) {
            throw new IllegalArgumentException("The version of orchestration '" + name + "' must not be negative, was "
                    + version);
        }
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
