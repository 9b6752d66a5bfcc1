package dev.quark.autoconfigure.actors;

import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionStage;

import dev.quark.actor.AbstractActor;
import dev.quark.actor.Actor;
import dev.quark.actor.ActorRef;
import dev.quark.actor.LocalPreferredPlacement;
import dev.quark.actor.RandomPlacement;
import dev.quark.actor.StatelessWorker;
import dev.quark.cluster.transport.jackson.JacksonPayloadCodec;
import dev.quark.eventsourcing.EventSourcedActor;
import dev.quark.eventsourcing.EventSourcingActivationHook;
import dev.quark.runtime.internal.ContractIntrospector;
import dev.quark.state.internal.StateField;
import dev.quark.state.internal.StateFields;

import org.springframework.aot.hint.BindingReflectionHintsRegistrar;
import org.springframework.aot.hint.MemberCategory;
import org.springframework.aot.hint.RuntimeHints;
import org.springframework.aot.hint.TypeReference;

/**
 * The native-image hints one actor implementation needs at run time: a JDK proxy per contract for its
 * references, its contracts' methods for dispatch through method handles, its constructors, and for each
 * {@link dev.quark.state.ActorState} field the field itself (it is injected reflectively) and JSON binding of
 * the state's value type. An implementation that extends {@link AbstractActor} also needs the base class's
 * own fields and methods: the runtime sets its host and calls its protected lifecycle hooks through method
 * handles found by a private lookup.
 * <p>
 * Calls between silos add what the payload codec reads and writes reflectively: JSON binding of every contract
 * method's parameter and result types, and the public constructors of the exceptions the methods declare and of
 * the JDK exceptions the codec rebuilds ({@link #registerPayloadCodec}).
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
            registerPayloads(hints, contract);
        }
        for (Class<? extends Annotation> placement : List.of(RandomPlacement.class, LocalPreferredPlacement.class,
                StatelessWorker.class)) {
            // Read once at start-up, when the cluster's routing binds the runtime.
            if (implementation.isAnnotationPresent(placement)) {
                hints.reflection().registerType(placement);
            }
        }
        for (StateField state : StateFields.of(implementation)) {
            hints.reflection().registerField(state.field());
            BINDING.registerReflectionHints(hints.reflection(), state.valueType());
        }
        if (EventSourcedActor.class.isAssignableFrom(implementation)) {
            EventSourcingActivationHook.EventSourcedTypes types = EventSourcingActivationHook.typesOf(implementation);
            BINDING.registerReflectionHints(hints.reflection(), types.state());
            for (Class<?> event : types.events().classes().values()) {
                BINDING.registerReflectionHints(hints.reflection(), event);
            }
        }
    }

    /**
     * Registers what the payload codec needs for every actor, whatever its contracts: the public constructors
     * of the JDK exceptions it rebuilds when they come from another silo.
     * @param hints where to register them
     */
    public static void registerPayloadCodec(RuntimeHints hints) {
        for (String exception : JacksonPayloadCodec.jdkExceptionTypes()) {
            hints.reflection().registerType(TypeReference.of(exception), MemberCategory.INVOKE_PUBLIC_CONSTRUCTORS);
        }
    }

    /**
     * Parameters and results travel through the application's Jackson mapper (references excepted: the codec
     * writes those itself); declared exceptions may be rebuilt through their public constructors.
     */
    private static void registerPayloads(RuntimeHints hints, Class<? extends Actor> contract) {
        for (Method method : contract.getMethods()) {
            if (Modifier.isStatic(method.getModifiers())) {
                continue;
            }
            for (Type parameter : method.getGenericParameterTypes()) {
                registerBinding(hints, parameter);
            }
            registerBinding(hints, resultTypeOf(method));
            for (Class<?> exception : method.getExceptionTypes()) {
                hints.reflection().registerType(exception, MemberCategory.INVOKE_PUBLIC_CONSTRUCTORS);
            }
        }
    }

    private static Type resultTypeOf(Method method) {
        Type result = method.getGenericReturnType();
        if (CompletionStage.class.isAssignableFrom(method.getReturnType())) {
            return (result instanceof ParameterizedType stage) ? stage.getActualTypeArguments()[0] : Object.class;
        }
        return result;
    }

    private static void registerBinding(RuntimeHints hints, Type type) {
        if (type == void.class || type == Void.class || type == Object.class) {
            return;
        }
        if (type instanceof Class<?> plain && (plain.isPrimitive() || ActorRef.class.isAssignableFrom(plain)
                || Actor.class.isAssignableFrom(plain))) {
            return;
        }
        BINDING.registerReflectionHints(hints.reflection(), type);
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
