package dev.quark.actor;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a contract method that does not change the actor's state: its turns may interleave with other
 * read-only turns of any call chain, at the points where a turn waits for another actor. A turn of a method
 * without this annotation never interleaves with turns of other chains.
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface ReadOnly {
}
