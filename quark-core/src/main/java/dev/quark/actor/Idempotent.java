package dev.quark.actor;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a contract method that is safe to run twice for one call: running it again has the effect of running it
 * once (it sets rather than adds, or its caller's arguments carry what makes a repeat a no-op). In a cluster, a
 * call to such a method whose outcome is unknown, because the link to the silo it went to broke after the call
 * was sent, or that silo was declared dead or left while the call waited, is sent once more, routed afresh
 * with the caller's current view of the cluster and within the call's original deadline. A second unknown
 * outcome fails the call. A call that failed with a known outcome (the actor threw) is never sent again, and
 * neither is a {@link OneWay} message, which this annotation may not mark.
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface Idempotent {
}
