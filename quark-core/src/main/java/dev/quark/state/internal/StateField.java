package dev.quark.state.internal;

import java.lang.reflect.Field;
import java.lang.reflect.Type;

import dev.quark.state.ActorState;
import dev.quark.state.StateStoreRegistry;

/**
 * One {@link ActorState} field of an actor implementation, checked and made accessible.
 *
 * @param field the field, accessible
 * @param name the state's name
 * @param store the store's name; {@link StateStoreRegistry#DEFAULT} for the default store
 * @param valueType the state's value type, the {@code T} of {@code PersistentState<T>}
 */
public record StateField(Field field, String name, String store, Type valueType) {

    /**
     * Returns the field as {@code Class.field}, the form used in messages.
     * @return the description
     */
    public String describe() {
        return this.field.getDeclaringClass().getName() + "." + this.field.getName();
    }
}
