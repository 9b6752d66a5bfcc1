package dev.quark.cluster.membership;

import org.jspecify.annotations.Nullable;

/**
 * A joining silo could not reach every silo that is active within its
 * {@link MembershipSettings#reachabilityTimeout() reachability timeout}, so it did not become active: its message
 * names each silo it could not reach and why. The {@linkplain #getCause() cause} is the failure of the first of
 * them — for a silo whose TLS material the cluster refuses, a
 * {@code dev.quark.cluster.transport.grpc.TlsHandshakeException} — and the others' are
 * {@linkplain #getSuppressed() suppressed}.
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
