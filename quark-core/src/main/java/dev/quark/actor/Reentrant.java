package dev.quark.actor;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Lets every message into an activation of the annotated {@link QuarkActor} class while its running turn
 * waits for a call it made, whatever call chain the message belongs to. Turns still never run at the same
 * time: they interleave only where a turn waits for another actor.
 * <p>
 * Without it, an activation that serves a call chain lets in only messages of that chain (so
 * {@code A -> B -> A} completes) and others wait until the chain's turns are done.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface Reentrant {
}
