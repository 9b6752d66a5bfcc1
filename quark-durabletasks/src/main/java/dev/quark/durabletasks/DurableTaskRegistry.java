package dev.quark.durabletasks;

import java.lang.reflect.Type;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

import dev.quark.durabletasks.payload.PayloadConverter;

/**
 * The orchestrations and activities an application knows, by name: what a worker runs and what a client may
 * schedule. Names come from {@link TaskName}, else the simple class name; types from the classes' type arguments
 * ({@code Orchestration<Order, Receipt>}), else given explicitly (for lambdas). Immutable once built.
 * <pre>{@code
 * DurableTaskRegistry registry = DurableTaskRegistry.builder(converter)
 *     .orchestration(OrderOrchestration.class, OrderOrchestration::new)
 *     .activity(new ChargeCard(payments))
 *     .build();
 * }</pre>
 */
public final class DurableTaskRegistry {

    /** The longest name. */
    public static final int MAX_NAME_LENGTH = 200;

    private final Map<String, OrchestrationDefinition> orchestrations;

    private final Map<String, ActivityDefinition> activities;

    private DurableTaskRegistry(Builder builder) {
        this.orchestrations = Map.copyOf(builder.orchestrations);
        this.activities = Map.copyOf(builder.activities);
    }

    /**
     * Starts a registry.
     * @param converter resolves the types of orchestration and activity classes
     * @return the builder
     */
    public static Builder builder(PayloadConverter converter) {
        return new Builder(converter);
    }

    /**
     * Returns the name an orchestration or activity class is known by.
     * @param type the class
     * @return its {@link TaskName}, else its simple name
     */
    public static String nameOf(Class<?> type) {
        TaskName name = type.getAnnotation(TaskName.class);
        return requireName((name != null) ? name.value() : type.getSimpleName());
    }

    /**
     * Returns the version an orchestration class declares.
     * @param type the class
     * @return its {@link TaskName#version()}, else 0
     */
    public static int versionOf(Class<?> type) {
        TaskName name = type.getAnnotation(TaskName.class);
        return (name != null) ? name.version() : 0;
    }

    static String requireName(String name) {
        Objects.requireNonNull(name, "name must not be null");
        if (name.isBlank() || name.length() > MAX_NAME_LENGTH) {
            throw new IllegalArgumentException("A task name must not be blank and have at most " + MAX_NAME_LENGTH
                    + " characters, was '" + name + "'");
        }
        return name;
    }

    /**
     * Returns an orchestration.
     * @param name its name
     * @return the definition, or empty when none has the name
     */
    public Optional<OrchestrationDefinition> orchestration(String name) {
        return Optional.ofNullable(this.orchestrations.get(name));
    }

    /**
     * Returns an activity.
     * @param name its name
     * @return the definition, or empty when none has the name
     */
    public Optional<ActivityDefinition> activity(String name) {
        return Optional.ofNullable(this.activities.get(name));
    }

    /**
     * Returns the names of the orchestrations.
     * @return the names
     */
    public Set<String> orchestrationNames() {
        return this.orchestrations.keySet();
    }

    /**
     * Returns the names of the activities.
     * @return the names
     */
    public Set<String> activityNames() {
        return this.activities.keySet();
    }

    @Override
    public String toString() {
        return "DurableTaskRegistry[orchestrations " + this.orchestrations.keySet() + ", activities "
                + this.activities.keySet() + "]";
    }

    /**
     * Builds a {@link DurableTaskRegistry}.
     */
    public static final class Builder {

        private final PayloadConverter converter;

        private final Map<String, OrchestrationDefinition> orchestrations = new LinkedHashMap<>();

        private final Map<String, ActivityDefinition> activities = new LinkedHashMap<>();

        private Builder(PayloadConverter converter) {
            this.converter = Objects.requireNonNull(converter, "converter must not be null");
        }

        /**
         * Adds an orchestration class.
         * @param type the class, whose name and type arguments are used
         * @param factory creates a new instance for every step
         * @return this builder
         * @throws IllegalArgumentException when the name is taken
         */
        public Builder orchestration(Class<?> type, Supplier<? extends Orchestration<?, ?>> factory) {
            Type[] types = this.converter.typeArguments(type, Orchestration.class);
            return orchestration(new OrchestrationDefinition(nameOf(type), types[0], types[1], factory, versionOf(type)));
        }

        /**
         * Adds an orchestration with explicit types, for instance a lambda.
         * @param name the name
         * @param inputType the type its input is read as
         * @param factory creates a new instance for every step
         * @return this builder
         * @throws IllegalArgumentException when the name is taken
         */
        public Builder orchestration(String name, Type inputType, Supplier<? extends Orchestration<?, ?>> factory) {
            return orchestration(new OrchestrationDefinition(name, inputType, Object.class, factory));
        }

        /**
         * Adds an orchestration.
         * @param definition the definition
         * @return this builder
         * @throws IllegalArgumentException when the name is taken
         */
        public Builder orchestration(OrchestrationDefinition definition) {
            OrchestrationDefinition existing = this.orchestrations.putIfAbsent(definition.name(), definition);
            if (existing != null) {
                throw new IllegalArgumentException("Two orchestrations are named '" + definition.name()
                        + "': give one a different @TaskName");
            }
            return this;
        }

        /**
         * Adds an activity, named after its class.
         * @param activity the activity, whose class gives the name and the types
         * @return this builder
         * @throws IllegalArgumentException when the name is taken
         */
        public Builder activity(Activity<?, ?> activity) {
            return activity(activity.getClass(), activity);
        }

        /**
         * Adds an activity whose class is not the one to read the name and types from, for instance a proxy.
         * @param type the class to read the name and types from
         * @param activity the activity
         * @return this builder
         * @throws IllegalArgumentException when the name is taken
         */
        public Builder activity(Class<?> type, Activity<?, ?> activity) {
            Type[] types = this.converter.typeArguments(type, Activity.class);
            return activity(new ActivityDefinition(nameOf(type), types[0], types[1], activity));
        }

        /**
         * Adds an activity with explicit types, for instance a lambda.
         * @param name the name
         * @param inputType the type its input is read as
         * @param activity the activity
         * @return this builder
         * @throws IllegalArgumentException when the name is taken
         */
        public Builder activity(String name, Type inputType, Activity<?, ?> activity) {
            return activity(new ActivityDefinition(name, inputType, Object.class, activity));
        }

        /**
         * Adds an activity.
         * @param definition the definition
         * @return this builder
         * @throws IllegalArgumentException when the name is taken
         */
        public Builder activity(ActivityDefinition definition) {
            ActivityDefinition existing = this.activities.putIfAbsent(definition.name(), definition);
            if (existing != null) {
                throw new IllegalArgumentException("Two activities are named '" + definition.name()
                        + "': give one a different @TaskName");
            }
            return this;
        }

        /**
         * Builds the registry.
         * @return the registry
         */
        public DurableTaskRegistry build() {
            return new DurableTaskRegistry(this);
        }
    }
}
