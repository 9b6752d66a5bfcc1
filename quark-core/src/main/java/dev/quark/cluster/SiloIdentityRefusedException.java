package dev.quark.cluster;

import dev.quark.actor.ActorException;

/**
 * A silo refused an envelope, without acting on it, because its sender claims the id and incarnation (epoch) of a
 * member that the membership table places at another address: another process using that silo's id, or one
 * pretending to be it. The message names the silo claimed, the address the table gives it and the one the envelope
 * came from. Only its sender sees it: answers go to the address an envelope comes from.
 */
public class SiloIdentityRefusedException extends ActorException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     * @param message which silo refused what, claiming which silo from where
     */
    public SiloIdentityRefusedException(String message) {
        super(message);
    }
}
