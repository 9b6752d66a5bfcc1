package dev.quark.autoconfigure.state;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import dev.quark.autoconfigure.QuarkBackend;

import org.springframework.context.annotation.Conditional;

/**
 * Matches when at least one state store uses the given backend.
 */
@Target({ ElementType.TYPE, ElementType.METHOD })
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Conditional(OnStateBackendCondition.class)
@interface ConditionalOnStateBackend {

    /**
     * The backend.
     * @return the backend
     */
    QuarkBackend value();
}
