package dev.quark.eventsourcing;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Names an event class in the store and gives its payload's schema version. Without it, an event class is stored
 * under its simple name with schema version 1. Name event types once and keep the names: stored events are found
 * by them. Raise the version when the payload's shape changes, and register an {@link EventUpcaster} from the old
 * version.
 * <pre>{@code
 * @EventType(value = "Deposited", version = 2)
 * record Deposited(long amountCents, String currency) implements AccountEvent { }
 * }</pre>
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface EventType {

    /**
     * The type name kept with each event.
     * @return the name; blank for the class's simple name
     */
    String value() default "";

    /**
     * The schema version of the payloads this class writes, at least 1.
     * @return the version
     */
    int version() default 1;
}
