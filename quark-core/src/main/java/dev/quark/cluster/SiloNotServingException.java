package dev.quark.cluster;

/**
 * A silo refused a call or an activation because it is not serving: it has not joined yet, it could not renew
 * its membership recently enough to know that it was not declared dead, or it was declared dead. It keeps no
 * activation alive beside the actor's new owner. Callers may retry; the retry finds the owner once
 * membership has settled.
 */
public class SiloNotServingException extends SiloUnavailableException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     * @param message which silo refused what
     */
    public SiloNotServingException(String message) {
        super(message);
    }
}
