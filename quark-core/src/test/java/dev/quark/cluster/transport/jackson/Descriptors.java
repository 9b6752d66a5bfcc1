package dev.quark.cluster.transport.jackson;

import java.lang.reflect.Method;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.util.List;
import java.util.concurrent.CompletionStage;

import dev.quark.actor.Actor;
import dev.quark.actor.OneWay;
import dev.quark.runtime.MethodDescriptor;
import dev.quark.runtime.MethodDescriptor.CallKind;

/**
 * Method descriptors as the runtime describes contract methods, for tests that need no runtime.
 */
final class Descriptors {

    private Descriptors() {
    }

    static MethodDescriptor of(Class<? extends Actor> contract, String name) {
        for (Method method : contract.getMethods()) {
            if (method.getName().equals(name)) {
                return of(contract, method);
            }
        }
        throw new IllegalArgumentException(contract.getName() + " has no method " + name);
    }

    private static MethodDescriptor of(Class<? extends Actor> contract, Method method) {
        Type result = method.getGenericReturnType();
        CallKind kind = CallKind.SYNCHRONOUS;
        if (method.isAnnotationPresent(OneWay.class)) {
            result = void.class;
            kind = CallKind.ONE_WAY;
        }
        else if (CompletionStage.class.isAssignableFrom(method.getReturnType())) {
            result = ((ParameterizedType) result).getActualTypeArguments()[0];
            kind = CallKind.ASYNCHRONOUS;
        }
        return new MethodDescriptor(contract, method.getName(), method.getName(), method.toGenericString().hashCode(),
                List.of(method.getGenericParameterTypes()), result, kind);
    }
}
