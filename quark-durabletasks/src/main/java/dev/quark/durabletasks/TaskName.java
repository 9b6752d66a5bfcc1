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

    /**
     * The version of an orchestration's code, recorded in each instance when it is scheduled
     * ({@code ExecutionStarted}, {@link OrchestrationState#version()}) and readable by the code
     * ({@link OrchestrationContext#orchestrationVersion()}); not negative. Raise it when the code changes in a way
     * instances in flight cannot replay, to tell old instances from new ones; {@link OrchestrationContext#getVersion}
     * guards the individual changes. Ignored on activities.
     * @return the version, 0 unless set
     */
    int version() default 0;
}
