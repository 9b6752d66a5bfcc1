package dev.quark.actor;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Places each activation of the annotated actor type on the silo of its first caller when that silo hosts
 * the type and serves, otherwise on a silo chosen at random among those that host it. Later calls go to that
 * activation wherever they start: the cluster's directory records where it lives and keeps one activation
 * per actor (when first calls race on several silos, one registers and the others pass their calls on to
 * it). In a single silo it changes nothing.
 * <p>
 * Put it on the class annotated {@link QuarkActor}; at most one placement annotation per class.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface LocalPreferredPlacement {

}
