package dev.quark.actor;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks an actor contract that any number of actor types may implement, such as {@link Remindable}. An
 * ordinary contract has exactly one implementation, so a contract and an id name one actor; a shared contract
 * names none by itself. It therefore takes no part in the name of the actor types that implement it, and a
 * reference to it is made for a given actor address ({@code ActorRuntime.reference(contract, address)}), not
 * with {@link ActorRefFactory#get(Class, String)}.
 * <p>
 * Quark's own services use shared contracts to reach any actor that opted into them, through the normal call
 * path: mailbox, turn, filters, routing to the silo that hosts the actor.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface SharedContract {
}
