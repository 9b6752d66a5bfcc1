package dev.quark.cluster.transport.grpc;

import dev.quark.cluster.transport.SiloUnreachableException;

/**
 * A silo already has as many envelopes in flight to a peer as it allows
 * ({@code quark.cluster.transport.max-in-flight}): waiting to be written, or requests waiting for their
 * answer. The envelope was not sent; the caller may try again later.
 */
public class PeerOverloadedException extends SiloUnreachableException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     * @param message which peer, and how many envelopes are in flight to it
     */
    public PeerOverloadedException(String message) {
        super(message);
    }
}
