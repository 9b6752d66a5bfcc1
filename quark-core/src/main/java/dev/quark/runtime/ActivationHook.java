package dev.quark.runtime;

import dev.quark.actor.DeactivationReason;

/**
 * Takes part in every activation of every actor: runs after the instance is created and before its
 * {@code onActivate()}, and after its {@code onDeactivate()}. This is how features such as persistent state
 * prepare an instance before the actor's own code runs.
 * <p>
 * Hooks run in registration order on the activation's thread, inside its lifecycle, so they never overlap a
 * turn of the same activation.
 */
public interface ActivationHook {

    /**
     * Prepares a new instance before its {@code onActivate()}.
     * @param actor the activation being started
     * @throws Exception to fail the activation: the triggering call gets an
     * {@link dev.quark.actor.ActivationException} with this cause and the instance is discarded
     */
    void beforeActivate(ActorInstance actor) throws Exception;

    /**
     * Releases what {@link #beforeActivate(ActorInstance)} set up, after {@code onDeactivate()}, in reverse
     * registration order. When a later hook or {@code onActivate()} fails the activation, it runs with
     * {@link DeactivationReason#FAILURE} for every hook whose {@code beforeActivate} completed. An exception
     * is logged; the deactivation completes regardless.
     * @param actor the activation that ends
     * @param reason why it ends
     */
    default void afterDeactivate(ActorInstance actor, DeactivationReason reason) {
    }
}
