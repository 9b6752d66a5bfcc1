package dev.quark.runtime.internal;

import dev.quark.actor.ActorContext;

/**
 * What an {@link dev.quark.actor.AbstractActor} sees of the activation that hosts it.
 */
public interface ActorHost {

    String actorId();

    ActorContext currentContext();

    void deactivateOnIdle();
}
