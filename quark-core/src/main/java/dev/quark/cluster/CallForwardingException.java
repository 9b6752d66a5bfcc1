package dev.quark.cluster;

import dev.quark.actor.ActorUnreachableException;

/**
 * Silos passed a call on to each other as often as allowed without reaching one that owns its actor: their
 * views of membership disagree for longer than a call should wait. The message names the actor, the silos
 * and their membership versions. It usually resolves as soon as the silos have read the membership table
 * again; callers may retry.
 */
public class CallForwardingException extends ActorUnreachableException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     * @param message the actor, the silos that passed the call on and their membership versions
     */
    public CallForwardingException(String message) {
        super(message);
    }
}
