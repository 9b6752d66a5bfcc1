package dev.quark.runtime.internal;

import java.lang.invoke.MethodHandle;
import java.lang.reflect.Method;

import dev.quark.actor.Actor;
import dev.quark.runtime.CallMetrics;
import org.jspecify.annotations.Nullable;

/**
 * A contract method ready for dispatch: a method handle adapted to {@code (Object, Object[])Object}, so
 * calling it costs no reflection.
 */
public final class ActorMethod {

    private static final Object[] NO_ARGUMENTS = {};

    private final Class<? extends Actor> contract;

    private final Method method;

    private final MethodHandle invoker;

    private final ReturnKind returnKind;

    private final CallMetrics metrics;

    private final boolean readOnly;

    ActorMethod(Class<? extends Actor> contract, Method method, MethodHandle invoker, ReturnKind returnKind,
            CallMetrics metrics, boolean readOnly) {
        this.contract = contract;
        this.method = method;
        this.invoker = invoker;
        this.returnKind = returnKind;
        this.metrics = metrics;
        this.readOnly = readOnly;
    }

    public Class<? extends Actor> contract() {
        return this.contract;
    }

    public Method method() {
        return this.method;
    }

    public String name() {
        return this.method.getName();
    }

    public ReturnKind returnKind() {
        return this.returnKind;
    }

    public CallMetrics metrics() {
        return this.metrics;
    }

    /**
     * Returns whether the method is {@link dev.quark.actor.ReadOnly}: its turns may interleave with other
     * read-only turns.
     */
    public boolean isReadOnly() {
        return this.readOnly;
    }

    @Nullable Object invoke(Object target, Object @Nullable [] arguments) throws Throwable {
        // A local of static type Object[]: as a direct argument, a conditional would be typed Object, and
        // invokeExact would see the wrong signature.
        Object[] spread = (arguments != null) ? arguments : NO_ARGUMENTS;
        return (Object) this.invoker.invokeExact(target, spread);
    }

    @Override
    public String toString() {
        return this.contract.getSimpleName() + "." + this.method.getName() + "()";
    }
}
