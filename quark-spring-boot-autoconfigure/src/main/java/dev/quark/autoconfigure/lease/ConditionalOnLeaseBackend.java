package dev.quark.autoconfigure.lease;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import dev.quark.autoconfigure.backend.QuarkBackend;

import org.springframework.context.annotation.Conditional;

/**
 * Matches when some area that claims work with leases keeps its leases on the given backend, as
 * {@link LeaseBackends} resolves it. When {@code quark.leases.backend} chose it, it also checks that the backend's
 * libraries are on the class path like {@code @ConditionalOnQuarkBackend} does (an area's own backend is checked
 * by the area's conditions).
 */
@Target({ ElementType.TYPE, ElementType.METHOD })
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Conditional(OnLeaseBackendCondition.class)
@interface ConditionalOnLeaseBackend {

    /**
     * The backend.
     * @return the backend
     */
    QuarkBackend value();
}
