package dev.quark.cluster.transport;

import dev.quark.actor.ActorUnreachableException;

/**
 * A transport could not hand an envelope over to another silo: nobody listens at its address, the link
 * between the two silos is down, or the sending transport is closed. Nothing was delivered.
 */
public class SiloUnreachableException extends ActorUnreachableException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     * @param message which silo could not be reached from which, and why
     */
    public SiloUnreachableException(String message) {
        super(message);
    }
}
