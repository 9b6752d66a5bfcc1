package dev.quark.actor;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Places each activation of the annotated actor type on a silo chosen at random among the active silos that
 * host the type, instead of the silo its id hashes to (the default). The cluster's directory records where
 * each activation lives and keeps one activation per actor: when first calls race on several silos, one
 * registers and the others pass their calls on to it. In a single silo it changes nothing.
 * <p>
 * Put it on the class annotated {@link QuarkActor}; at most one placement annotation per class.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface RandomPlacement {

}
