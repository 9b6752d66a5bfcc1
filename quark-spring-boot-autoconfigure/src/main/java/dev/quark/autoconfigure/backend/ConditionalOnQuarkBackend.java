package dev.quark.autoconfigure.backend;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.springframework.context.annotation.Conditional;

/**
 * Matches when an area of Quark, or one of its named stores, uses the given backend, as
 * {@link QuarkBackendResolver} resolves it ({@code quark.<area>.backend}, else {@code quark.backend}).
 * <p>
 * When it matches it also checks that the backend's libraries are on the class path, and fails start-up with a
 * {@link MissingBackendDependencyException} naming the property, the value and the dependency to add when one
 * is missing. So use it instead of {@code @ConditionalOnClass} for the backend's libraries: backing off
 * silently would only move the failure to a missing bean further on, without its cause. A value naming no
 * backend fails start-up naming the property.
 */
@Target({ ElementType.TYPE, ElementType.METHOD })
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Conditional(OnQuarkBackendCondition.class)
public @interface ConditionalOnQuarkBackend {

    /**
     * The area, for instance {@code state} or {@code jobs}.
     * @return the area
     */
    String area();

    /**
     * The backend.
     * @return the backend
     */
    QuarkBackend backend();
}
