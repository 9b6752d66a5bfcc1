package dev.quark.durabletasks;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The name an {@link Orchestration} or an {@link Activity} class is registered, scheduled and called by, and
 * recorded under in histories. Without it the name is the class's simple name; set it to keep the name when the
 * class is renamed or moved, since instances in flight refer to it.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface TaskName {

    /**
     * The name: not blank, at most 200 characters.
     * @return the name
     */
    String value();
}
