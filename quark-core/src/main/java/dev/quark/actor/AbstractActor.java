package dev.quark.actor;

import dev.quark.runtime.internal.ActorAccess;
import dev.quark.runtime.internal.ActorHost;
import org.jspecify.annotations.Nullable;

/**
 * Optional base class for actor implementations: gives the actor its id, the context of the current turn,
 * lifecycle hooks and control over its own activation.
 * <pre>{@code
 * @QuarkActor
 * class AccountActor extends AbstractActor implements Account {
 *     private long balance;
 *
 *     public long deposit(long amount) {
 *         return balance += amount;
 *     }
 * }
 * }</pre>
 * Everything here is meant to be used from the actor's own turns and lifecycle hooks.
 */
public abstract class AbstractActor {

    static {
        ActorAccess.install(new ActorAccess.Hooks() {

            @Override
            public void attach(AbstractActor actor, ActorHost host) {
                actor.host = host;
            }

            @Override
            public void activate(AbstractActor actor) throws Exception {
                actor.onActivate();
            }

            @Override
            public void deactivate(AbstractActor actor, DeactivationReason reason) throws Exception {
                actor.onDeactivate(reason);
            }
        });
    }

    private @Nullable ActorHost host;

    /**
     * Returns this actor's id.
     * @return the actor id
     */
    public final String actorId() {
        return host().actorId();
    }

    /**
     * Returns the context of the turn being served: request id, metadata and call chain.
     * @return the current context
     * @throws IllegalStateException when called outside one of this actor's turns
     */
    protected final ActorContext context() {
        return host().currentContext();
    }

    /**
     * Called once per activation, after the instance is created and before its first turn. An exception
     * fails the activation: the call that triggered it gets an {@link ActivationException} and the instance
     * is discarded.
     * @throws Exception to fail the activation
     */
    protected void onActivate() throws Exception {
    }

    /**
     * Called once when the activation ends, as the last thing that runs on it. An exception is logged; the
     * activation ends regardless.
     * @param reason why the activation ends
     * @throws Exception logged by the runtime
     */
    protected void onDeactivate(DeactivationReason reason) throws Exception {
    }

    /**
     * Asks the runtime to deactivate this actor once the current turn ends, with reason
     * {@link DeactivationReason#EXPLICIT}. Calls that arrive meanwhile go to a fresh activation.
     */
    protected final void deactivateOnIdle() {
        host().deactivateOnIdle();
    }

    private ActorHost host() {
        ActorHost current = this.host;
        if (current == null) {
            throw new IllegalStateException(getClass().getName()
                    + " is not attached to an activation: actors are created by the runtime, not with new");
        }
        return current;
    }
}
