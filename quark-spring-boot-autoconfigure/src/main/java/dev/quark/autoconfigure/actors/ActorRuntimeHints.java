package dev.quark.autoconfigure.actors;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.Set;

import dev.quark.actor.AbstractActor;
import dev.quark.actor.Actor;
import dev.quark.actor.ActorRef;
import dev.quark.runtime.internal.ContractIntrospector;
import dev.quark.state.internal.StateField;
import dev.quark.state.internal.StateFields;

import org.springframework.aot.hint.BindingReflectionHintsRegistrar;
import org.springframework.aot.hint.MemberCategory;
import org.springframework.aot.hint.RuntimeHints;

/**
 * The native-image hints one actor implementation needs at run time: a JDK proxy per contract for its
 * references, its contracts' methods for dispatch through method handles, its constructors, and for each
 * {@link dev.quark.state.ActorState} field the field itself (it is injected reflectively) and JSON binding of
 * the state's value type. An implementation that extends {@link AbstractActor} also needs the base class's
 * own fields and methods: the runtime sets its host and calls its protected lifecycle hooks through method
 * handles found by a private lookup.
 */
public final class ActorRuntimeHints {

    private static final BindingReflectionHintsRegistrar BINDING = new BindingReflectionHintsRegistrar();

    private ActorRuntimeHints() {
    }

    /**
     * Registers the hints of an actor implementation.
     * @param hints where to register them
     * @param implementation the {@link dev.quark.actor.QuarkActor} class
     */
    public static void registerActor(RuntimeHints hints, Class<?> implementation) {
        hints.reflection().registerType(implementation, MemberCategory.INVOKE_DECLARED_CONSTRUCTORS,
                MemberCategory.INVOKE_PUBLIC_METHODS);
        if (AbstractActor.class.isAssignableFrom(implementation)) {
            hints.reflection().registerType(AbstractActor.class, MemberCategory.ACCESS_DECLARED_FIELDS,
                    MemberCategory.INVOKE_DECLARED_METHODS);
        }
        for (Class<? extends Actor> contract : ContractIntrospector.contractsOf(implementation)) {
            hints.proxies().registerJdkProxy(contract, ActorRef.class);
            for (Class<?> type : interfacesOf(contract)) {
                hints.reflection().registerType(type, MemberCategory.INVOKE_PUBLIC_METHODS);
            }
        }
        for (StateField state : StateFields.of(implementation)) {
            hints.reflection().registerField(state.field());
            BINDING.registerReflectionHints(hints.reflection(), state.valueType());
        }
    }

    private static Set<Class<?>> interfacesOf(Class<?> contract) {
        Set<Class<?>> interfaces = new HashSet<>();
        Deque<Class<?>> pending = new ArrayDeque<>();
        pending.push(contract);
        while (!pending.isEmpty()) {
            Class<?> type = pending.pop();
            if (interfaces.add(type)) {
                pending.addAll(java.util.List.of(type.getInterfaces()));
            }
        }
        return interfaces;
    }
}
