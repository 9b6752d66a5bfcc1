package dev.quark.runtime.internal;

import dev.quark.actor.AbstractActor;
import dev.quark.actor.ActorRef;
import dev.quark.actor.DeactivationReason;
import dev.quark.supervision.SupervisorStrategy;
import org.jspecify.annotations.Nullable;

/**
 * Lets the runtime reach the non-public parts of {@link AbstractActor} (its host and its protected lifecycle
 * hooks) without widening the public API. {@code AbstractActor} installs the hooks in its static
 * initializer, which has always run by the time an instance exists.
 */
public final class ActorAccess {

    private static volatile @Nullable Hooks hooks;

    private ActorAccess() {
    }

    /**
     * Installs the hooks; called once by {@link AbstractActor}.
     * @param installed the hooks
     */
    public static void install(Hooks installed) {
        hooks = installed;
    }

    static Hooks hooks() {
        Hooks installed = hooks;
        if (installed == null) {
            throw new IllegalStateException("AbstractActor has not been initialized");
        }
        return installed;
    }

    /**
     * The operations {@link AbstractActor} exposes to the runtime.
     */
    public interface Hooks {

        void attach(AbstractActor actor, ActorHost host);

        void activate(AbstractActor actor) throws Exception;

        void deactivate(AbstractActor actor, DeactivationReason reason) throws Exception;

        SupervisorStrategy supervisorStrategy(AbstractActor actor);

        void childEscalated(AbstractActor actor, ActorRef child, Throwable failure) throws Exception;
    }
}
