package dev.quark.state;

import java.util.List;
import java.util.Objects;

import dev.quark.actor.DeactivationReason;
import dev.quark.runtime.ActivationHook;
import dev.quark.runtime.ActorInstance;
import dev.quark.runtime.ActorTypeView;
import dev.quark.state.internal.StateField;
import dev.quark.state.internal.StateFields;
import dev.quark.state.internal.StoreBackedState;

/**
 * Gives every activation its persistent states: injects each {@link ActorState} field and loads it from its
 * store before {@code onActivate()}. A state that cannot be loaded (store unreachable, payload unreadable)
 * fails the activation; the call that triggered it gets an {@link dev.quark.actor.ActivationException} whose
 * cause names the state's key, and the next call tries again. A supervision restart activates a fresh
 * instance through the same path, so it reloads the states too.
 * <p>
 * The Spring Boot starter registers one; without Spring, add it to the runtime:
 * <pre>{@code
 * ActorRuntime runtime = ActorRuntime.builder()
 *     .actor(AccountActor.class)
 *     .activationHook(new StateActivationHook(StateStoreRegistry.of(new InMemoryStateStore()), new JsonStateSerializer()))
 *     .build();
 * }</pre>
 */
public final class StateActivationHook implements ActivationHook {

    private final StateStoreRegistry stores;

    private final StateSerializer serializer;

    /**
     * Creates the hook.
     * @param stores the stores states are kept in
     * @param serializer converts state values to and from JSON
     */
    public StateActivationHook(StateStoreRegistry stores, StateSerializer serializer) {
        this.stores = Objects.requireNonNull(stores, "stores must not be null");
        this.serializer = Objects.requireNonNull(serializer, "serializer must not be null");
    }

    /**
     * Checks an actor type's state declarations against the stores, so that mistakes fail at start-up rather
     * than at the first activation.
     * @param type the actor type
     * @throws IllegalStateException naming the field: an invalid declaration, a store that does not exist,
     * or an actor type name that cannot key state
     */
    public void verify(ActorTypeView type) {
        List<StateField> fields = StateFields.of(type.implementation());
        for (StateField field : fields) {
            if (this.stores.find(field.store()).isEmpty()) {
                throw unknownStore(field);
            }
        }
        if (!fields.isEmpty()) {
            try {
                new StateKey(type.name(), "", fields.getFirst().name());
            }
            catch (IllegalArgumentException ex) {
                throw new IllegalStateException("Actor " + type.implementation().getName() + " declares persistent state, but "
                        + ex.getMessage(), ex);
            }
        }
    }

    @Override
    public void beforeActivate(ActorInstance actor) {
        for (StateField field : StateFields.of(actor.type().implementation())) {
            StateStore store = this.stores.find(field.store()).orElseThrow(() -> unknownStore(field));
            StateKey key = new StateKey(actor.type().name(), actor.id(), field.name());
            StoreBackedState<Object> state = new StoreBackedState<>(key, field.store(), store, this.serializer,
                    field.valueType());
            state.reload();
            try {
                field.field().set(actor.instance(), state);
            }
            catch (IllegalAccessException ex) {
                throw new IllegalStateException("Cannot inject @ActorState field " + field.describe(), ex);
            }
        }
    }

    @Override
    public void afterDeactivate(ActorInstance actor, DeactivationReason reason) {
        for (StateField field : StateFields.of(actor.type().implementation())) {
            try {
                if (field.field().get(actor.instance()) instanceof StoreBackedState<?> state) {
                    state.detach();
                }
            }
            catch (IllegalAccessException ex) {
                throw new IllegalStateException("Cannot read @ActorState field " + field.describe(), ex);
            }
        }
    }

    private IllegalStateException unknownStore(StateField field) {
        return new IllegalStateException("@ActorState field " + field.describe() + " refers to the state store '"
                + field.store() + "', which is not configured; the stores are " + this.stores.names()
                + " (add one with quark.persistence.stores." + field.store() + ".backend)");
    }

    @Override
    public String toString() {
        return "StateActivationHook" + this.stores.names();
    }
}
