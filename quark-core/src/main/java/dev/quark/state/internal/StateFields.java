package dev.quark.state.internal;

import java.lang.reflect.Field;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.quark.state.ActorState;
import dev.quark.state.PersistentState;
import dev.quark.state.StateKey;
import dev.quark.state.StateStoreRegistry;
import org.jspecify.annotations.Nullable;

/**
 * Finds the {@link ActorState} fields of actor implementations, once per class: the result is kept in a
 * {@link ClassValue}, so activations never scan.
 */
public final class StateFields {

    private static final ClassValue<Scan> SCANS = new ClassValue<>() {
        @Override
        protected Scan computeValue(Class<?> type) {
            try {
                return new Scan(scan(type), null);
            }
            catch (IllegalStateException ex) {
                return new Scan(List.of(), ex.getMessage());
            }
        }
    };

    private StateFields() {
    }

    /**
     * Returns the {@link ActorState} fields of a class and its superclasses, superclass fields first.
     * @param implementation the actor implementation
     * @return the fields, empty when it declares no state
     * @throws IllegalStateException naming the field when a declaration is invalid: wrong type, missing type
     * argument, static or final field, invalid or duplicate state name
     */
    public static List<StateField> of(Class<?> implementation) {
        Scan scan = SCANS.get(implementation);
        if (scan.problem != null) {
            throw new IllegalStateException(scan.problem);
        }
        return scan.fields;
    }

    private static List<StateField> scan(Class<?> implementation) {
        List<Class<?>> hierarchy = new ArrayList<>();
        for (Class<?> type = implementation; type != null && type != Object.class; type = type.getSuperclass()) {
            hierarchy.addFirst(type);
        }
        List<StateField> fields = new ArrayList<>();
        Map<String, StateField> byName = new HashMap<>();
        for (Class<?> type : hierarchy) {
            for (Field field : type.getDeclaredFields()) {
                ActorState annotation = field.getAnnotation(ActorState.class);
                if (annotation == null) {
                    continue;
                }
                StateField state = declaration(field, annotation);
                StateField clash = byName.putIfAbsent(state.name(), state);
                if (clash != null) {
                    throw new IllegalStateException("@ActorState fields " + clash.describe() + " and " + state.describe()
                            + " both declare the state '" + state.name() + "'; state names must be unique per actor");
                }
                fields.add(state);
            }
        }
        return List.copyOf(fields);
    }

    private static StateField declaration(Field field, ActorState annotation) {
        String where = "@ActorState field " + field.getDeclaringClass().getName() + "." + field.getName();
        if (field.getType() != PersistentState.class) {
            throw new IllegalStateException(where + " must be of type PersistentState<T>, not " + field.getGenericType().getTypeName());
        }
        if (Modifier.isStatic(field.getModifiers())) {
            throw new IllegalStateException(where + " must not be static: each activation has its own state");
        }
        if (Modifier.isFinal(field.getModifiers())) {
            throw new IllegalStateException(where + " must not be final: the runtime injects it");
        }
        Type valueType = valueType(field);
        if (valueType == null) {
            throw new IllegalStateException(where + " must declare a concrete value type, as in PersistentState<Profile>, not "
                    + field.getGenericType().getTypeName());
        }
        String name = annotation.name().isEmpty() ? field.getName() : annotation.name();
        if (!StateKey.isValidName(name)) {
            throw new IllegalStateException(where + " declares the state name '" + name
                    + "', which is not allowed: use letters, digits, '_', '-' and '.'");
        }
        String store = annotation.store().isEmpty() ? StateStoreRegistry.DEFAULT : annotation.store();
        field.setAccessible(true);
        return new StateField(field, name, store, valueType);
    }

    private static @Nullable Type valueType(Field field) {
        if (!(field.getGenericType() instanceof ParameterizedType parameterized)) {
            return null;
        }
        Type argument = parameterized.getActualTypeArguments()[0];
        return isConcrete(argument) ? argument : null;
    }

    private static boolean isConcrete(Type type) {
        if (type instanceof Class<?>) {
            return true;
        }
        if (type instanceof ParameterizedType parameterized) {
            for (Type argument : parameterized.getActualTypeArguments()) {
                if (!isConcrete(argument)) {
                    return false;
                }
            }
            return true;
        }
        if (type instanceof GenericArrayType array) {
            return isConcrete(array.getGenericComponentType());
        }
        return false;
    }

    private record Scan(List<StateField> fields, @Nullable String problem) {
    }
}
