package dev.quark.runtime.internal;

import java.lang.invoke.MethodHandle;

import dev.quark.runtime.CallMetrics;
import dev.quark.runtime.MethodDescriptor;
import org.jspecify.annotations.Nullable;

/**
 * A contract method ready for dispatch: its {@link MethodDescriptor} (wire name, stable id, types) and a
 * method handle adapted to {@code (Object, Object[])Object}, so calling it costs no reflection.
 */
public final class ActorMethod {

    private static final Object[] NO_ARGUMENTS = {};

    private final MethodDescriptor descriptor;

    private final MethodHandle invoker;

    private final ReturnKind returnKind;

    private final CallMetrics metrics;

    private final boolean readOnly;

    private final PlatformCallerSpin.Backoff spinBackoff = new PlatformCallerSpin.Backoff();

    ActorMethod(MethodDescriptor descriptor, MethodHandle invoker, ReturnKind returnKind, CallMetrics metrics,
            boolean readOnly) {
        this.descriptor = descriptor;
        this.invoker = invoker;
        this.returnKind = returnKind;
        this.metrics = metrics;
        this.readOnly = readOnly;
    }

    public MethodDescriptor descriptor() {
        return this.descriptor;
    }

    public String name() {
        return this.descriptor.name();
    }

    public int id() {
        return this.descriptor.id();
    }

    public ReturnKind returnKind() {
        return this.returnKind;
    }

    /**
     * Returns the recorder the metrics filter records this method's calls with, obtained once at start-up.
     */
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

    /**
     * Returns how often platform-thread callers of this method spin for its answer: a method whose answers come
     * later than the spin (I/O in its turns, another silo) is spun for ever more rarely.
     */
    PlatformCallerSpin.Backoff spinBackoff() {
        return this.spinBackoff;
    }

    @Nullable Object invoke(Object target, Object @Nullable [] arguments) throws Throwable {
        // A local of static type Object[]: as a direct argument, a conditional would be typed Object, and
        // invokeExact would see the wrong signature.
        Object[] spread = (arguments != null) ? arguments : NO_ARGUMENTS;
        return (Object) this.invoker.invokeExact(target, spread);
    }

    @Override
    public String toString() {
        return this.descriptor.contract().getSimpleName() + "." + this.descriptor.name() + "()";
    }
}
