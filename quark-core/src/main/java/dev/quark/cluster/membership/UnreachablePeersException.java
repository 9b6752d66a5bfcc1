package dev.quark.cluster.membership;

import org.jspecify.annotations.Nullable;

/**
 * A joining silo did not become active because active silos did not let it reach them: one refused it (a TLS
 * certificate it does not trust, another cluster name or protocol version) at its
 * {@link MembershipSettings#reachabilityTimeout() reachability timeout} or later, or silent peers, not a
 * majority answering, neither answered nor expired within the silo TTL and a probe interval, or a majority of
 * the alive active silos publish another transport security (TLS against plaintext: a
 * {@link TransportSecurityMismatchException}, decided from the membership entries before any probe answers). Its
 * message names each silo it could not reach and why. The {@linkplain #getCause() cause} is the failure of one of
 * them, a refusal when there is one (for a silo whose TLS material the cluster refuses, a
 * {@code dev.quark.cluster.transport.grpc.TlsHandshakeException}); the others' are
 * {@linkplain #getSuppressed() suppressed}. The cause is {@code null} for a transport security mismatch (no probe
 * failed: the entries decided it) and when no probe had failed yet.
 */
public class UnreachablePeersException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     * @param message which silo could not reach which silos, and why
     * @param cause the failure of the first silo it could not reach, {@code null} when none had failed yet
     */
    public UnreachablePeersException(String message, @Nullable Throwable cause) {
        super(message, cause);
    }
}
