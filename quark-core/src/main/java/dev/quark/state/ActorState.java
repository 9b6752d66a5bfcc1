package dev.quark.state;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Declares a named persistent state of an actor on a {@link PersistentState} field. The runtime injects the
 * field and loads the state from its store before the actor's {@code onActivate()}:
 * <pre>{@code
 * @QuarkActor
 * class AccountActor extends AbstractActor implements Account {
 *
 *     @ActorState(name = "account")
 *     private PersistentState<AccountState> account;
 *
 *     public long deposit(long amount) {
 *         AccountState next = this.account.update(AccountState.EMPTY, (state) -> state.deposit(amount));
 *         this.account.save();
 *         return next.balance();
 *     }
 * }
 * }</pre>
 * The field must be an instance field, not {@code final}, of type {@code PersistentState<T>} with a concrete
 * {@code T} (a class, record, or a parameterized type such as {@code List<Item>}). A state is stored under the
 * key {@code (actor type name, actor id, state name)}: renaming the state or the actor type (see
 * {@link dev.quark.actor.QuarkActor#name()}) loses the data stored under the old name.
 */
@Target(ElementType.FIELD)
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface ActorState {

    /**
     * The state's name, unique within the actor; letters, digits, {@code _}, {@code -} and {@code .}. Defaults
     * to the field name.
     * @return the name, or empty for the field name
     */
    String name() default "";

    /**
     * The name of the store that keeps the state, as configured under {@code quark.persistence.stores}.
     * Defaults to the default store.
     * @return the store name, or empty for the default store
     */
    String store() default "";
}
