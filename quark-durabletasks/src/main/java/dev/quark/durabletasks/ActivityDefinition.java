package dev.quark.durabletasks;

import java.lang.reflect.Type;
import java.util.Objects;

import org.jspecify.annotations.Nullable;

/**
 * An activity a worker can run: its name, the types of its input and output, and the instance that runs every call.
 *
 * @param name the name
 * @param inputType the type its input is read as
 * @param outputType the type of its result
 * @param activity the activity
 */
public record ActivityDefinition(String name, Type inputType, Type outputType, Activity<?, ?> activity) {

    /**
     * Validates the definition.
     */
    public ActivityDefinition {
        DurableTaskRegistry.requireName(name);
        Objects.requireNonNull(inputType, "inputType must not be null");
        Objects.requireNonNull(outputType, "outputType must not be null");
        Objects.requireNonNull(activity, "activity must not be null");
    }

    /**
     * Returns the activity with erased types, for the worker.
     * @return the activity
     */
    @SuppressWarnings("unchecked")
    public Activity<@Nullable Object, @Nullable Object> untyped() {
        return (Activity<@Nullable Object, @Nullable Object>) this.activity;
    }
}
