package dev.quark.actor;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Makes the annotated actor type a stateless worker: every silo that hosts it serves its calls locally, with a
 * pool of up to {@link #maxLocalActivations()} activations per actor id, and no directory. A call goes to an
 * idle activation of the pool, to a new one while the pool is not full, otherwise to the one with the fewest
 * waiting calls; calls to one id may therefore run in parallel, in different instances, on one silo and on
 * several. There is no single-activation guarantee: keep no state in such an actor that another call must see.
 * <p>
 * A caller on a silo that hosts the type calls its own silo's pool; a caller on a silo that does not sends the
 * call to a silo that does. Put it on the class annotated {@link QuarkActor}; at most one placement annotation
 * per class.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface StatelessWorker {

    /**
     * How many activations of one actor id a silo runs at most; 0 for the number of processors the JVM sees.
     * @return 0 or more
     */
    int maxLocalActivations() default 0;
}
