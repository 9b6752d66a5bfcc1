package dev.quark.autoconfigure.actors;

import dev.quark.runtime.ActorRuntime;

/**
 * Customizes the {@link ActorRuntime.Builder} the auto-configuration uses, after the properties are
 * applied. Customizers run in {@link org.springframework.core.Ordered order}.
 */
@FunctionalInterface
public interface ActorRuntimeBuilderCustomizer {

    /**
     * Customizes the builder.
     * @param builder the builder
     */
    void customize(ActorRuntime.Builder builder);
}
