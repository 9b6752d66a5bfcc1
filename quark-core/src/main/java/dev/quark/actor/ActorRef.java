package dev.quark.actor;

/**
 * Implemented by every actor reference, next to the actor's contract.
 * <p>
 * References are location transparent, cheap, immutable and may be cached or passed as arguments to other
 * actors. Two references are equal when they name the same actor.
 */
public interface ActorRef {

    /**
     * Returns the id of the actor this reference points to.
     * @return the actor id
     */
    String actorId();

    /**
     * Returns the contract this reference was created for.
     * @return the contract interface
     */
    Class<? extends Actor> actorContract();
}
