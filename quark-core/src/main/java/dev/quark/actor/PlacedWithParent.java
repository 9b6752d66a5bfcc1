package dev.quark.actor;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Places an activation of the annotated actor type that a parent spawns with
 * {@link AbstractActor#spawnChild spawnChild} on the parent's silo, where the parent supervises it; calls from
 * every silo reach that one activation, and once the parent ends the actor is placed by consistent hashing
 * again. An activation nobody spawned is placed by consistent hashing, as without the annotation.
 * <p>
 * It marks the types that can be children, so that only they pay for it: in a cluster, the silo that owns such
 * an actor by hash checks the directory before it activates the actor itself (a local lookup, except within the
 * hand-off window after the actor's range moved to it: then it first asks each live previous owner of the range
 * for the entry it may still hold, and waits for the answer up to the hand-off timeout), and a silo that just
 * started or took over a dead owner's range holds those first activations until the other silos have registered
 * again the children they run (usually milliseconds, bounded). Actors of types without it activate
 * on their hash owner at once; a child of such a type is placed like any actor of its type and is supervised
 * only while it runs on its parent's silo. In a single silo it changes nothing.
 * <p>
 * Put it on the class annotated {@link QuarkActor}; it applies to types placed by consistent hashing and is
 * refused beside another placement annotation.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface PlacedWithParent {

}
