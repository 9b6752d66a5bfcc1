package dev.quark.autoconfigure.cluster;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.springframework.context.annotation.Conditional;

/**
 * Matches when {@code quark.cluster.transport.type} chooses a transport, read the way Spring Boot binds the
 * enum: {@code grpc}, {@code GRPC}, {@code in-jvm}, {@code IN_JVM} are all valid, and a missing property means
 * {@code in-jvm}. A value that names no transport fails the start with an error naming the property and the
 * value. Public so that auto-configurations of other areas (metrics) can bind what only one transport uses.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target({ ElementType.TYPE, ElementType.METHOD })
@Documented
@Conditional(OnTransportTypeCondition.class)
public @interface ConditionalOnTransportType {

    /**
     * Returns the transport that must be chosen.
     * @return the transport type
     */
    QuarkClusterProperties.TransportType value();
}
