package dev.quark.autoconfigure.cluster;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.springframework.context.annotation.Conditional;

/**
 * Matches when {@code quark.cluster.mode} chooses a mode, read the way Spring Boot binds the enum
 * ({@code client}, {@code CLIENT}); a missing property means {@code silo}. A value that names no mode fails the
 * start with an error naming the property and the value.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target({ ElementType.TYPE, ElementType.METHOD })
@Documented
@Conditional(OnClusterModeCondition.class)
@interface ConditionalOnClusterMode {

    /**
     * Returns the mode that must be chosen.
     * @return the mode
     */
    QuarkClusterProperties.Mode value();
}
