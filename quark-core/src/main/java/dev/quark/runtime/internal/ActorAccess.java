package dev.quark.runtime.internal;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.VarHandle;
import java.lang.reflect.UndeclaredThrowableException;

import dev.quark.actor.AbstractActor;
import dev.quark.actor.ActorHost;
import dev.quark.actor.ActorRef;
import dev.quark.actor.DeactivationReason;
import dev.quark.supervision.SupervisorStrategy;

/**
 * The runtime's bridge to the non-public parts of {@link AbstractActor}: the field holding its
 * {@link ActorHost} and its protected lifecycle hooks. They are reached through a private lookup into
 * {@code AbstractActor}, resolved once into a var handle and method handles when this class initializes, so
 * the public API neither knows the runtime nor offers an install point. Calls through the handles dispatch
 * virtually, like ordinary calls, to the hooks an actor overrides.
 * <p>
 * A native image needs these members registered for reflection: the autoconfigure module's
 * {@code ActorRuntimeHints} registers all of {@code AbstractActor}'s declared fields and methods.
 */
final class ActorAccess {

    private static final ActorAccess HOOKS = new ActorAccess();

    private static final VarHandle HOST;

    private static final MethodHandle ON_ACTIVATE;

    private static final MethodHandle ON_DEACTIVATE;

    private static final MethodHandle SUPERVISOR_STRATEGY;

    private static final MethodHandle ON_CHILD_ESCALATION;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.privateLookupIn(AbstractActor.class, MethodHandles.lookup());
            HOST = lookup.findVarHandle(AbstractActor.class, "host", ActorHost.class);
            ON_ACTIVATE = lookup.findVirtual(AbstractActor.class, "onActivate", MethodType.methodType(void.class));
            ON_DEACTIVATE = lookup.findVirtual(AbstractActor.class, "onDeactivate",
                    MethodType.methodType(void.class, DeactivationReason.class));
            SUPERVISOR_STRATEGY = lookup.findVirtual(AbstractActor.class, "supervisorStrategy",
                    MethodType.methodType(SupervisorStrategy.class));
            ON_CHILD_ESCALATION = lookup.findVirtual(AbstractActor.class, "onChildEscalation",
                    MethodType.methodType(void.class, ActorRef.class, Throwable.class));
        }
        catch (ReflectiveOperationException ex) {
            throw new ExceptionInInitializerError(ex);
        }
    }

    private ActorAccess() {
    }

    static ActorAccess hooks() {
        return HOOKS;
    }

    void attach(AbstractActor actor, ActorHost host) {
        HOST.set(actor, host);
    }

    void activate(AbstractActor actor) throws Exception {
        try {
            ON_ACTIVATE.invokeExact(actor);
        }
        catch (Exception | Error ex) {
            throw ex;
        }
        catch (Throwable ex) {
            throw new UndeclaredThrowableException(ex);
        }
    }

    void deactivate(AbstractActor actor, DeactivationReason reason) throws Exception {
        try {
            ON_DEACTIVATE.invokeExact(actor, reason);
        }
        catch (Exception | Error ex) {
            throw ex;
        }
        catch (Throwable ex) {
            throw new UndeclaredThrowableException(ex);
        }
    }

    SupervisorStrategy supervisorStrategy(AbstractActor actor) {
        try {
            return (SupervisorStrategy) SUPERVISOR_STRATEGY.invokeExact(actor);
        }
        catch (RuntimeException | Error ex) {
            throw ex;
        }
        catch (Throwable ex) {
            throw new UndeclaredThrowableException(ex);
        }
    }

    void childEscalated(AbstractActor actor, ActorRef child, Throwable failure) throws Exception {
        try {
            ON_CHILD_ESCALATION.invokeExact(actor, child, failure);
        }
        catch (Exception | Error ex) {
            throw ex;
        }
        catch (Throwable ex) {
            throw new UndeclaredThrowableException(ex);
        }
    }
}
