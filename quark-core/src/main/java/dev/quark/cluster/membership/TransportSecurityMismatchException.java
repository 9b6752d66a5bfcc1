package dev.quark.cluster.membership;

/**
 * A joining silo did not become active because a majority of the alive active silos publish another
 * {@link TransportSecurity} in their membership entries than its own (TLS against plaintext): neither side can
 * reach the other. Decided from the entries, not from a probe, so it has no {@linkplain #getCause() cause}. Like a
 * refusal it does not heal by itself (the silos' configuration must change), so a silo whose rejoin fails with it
 * backs off before it tries again.
 */
public class TransportSecurityMismatchException extends UnreachablePeersException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     * @param message which silo publishes which setting, and which silos publish the other
     */
    public TransportSecurityMismatchException(String message) {
        super(message, null);
    }
}
