package dev.quark.actor;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks the implementation class of one or more actor contracts.
 * <p>
 * The runtime creates one instance per activation. Under Spring Boot the class is discovered in the
 * application's packages and created as a prototype bean, so constructor injection of any bean works. A
 * contract has exactly one implementation; a second one fails start-up naming both classes.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface QuarkActor {

    /**
     * The actor type's name: it appears in logs, metric tags and error messages, and keys persistent data
     * (state, reminders), so it must stay stable once data exists. Defaults to the simple name of the
     * implementation's first contract in alphabetical order.
     * @return the name, or empty for the default
     */
    String name() default "";
}
