package dev.quark.cluster.transport.grpc;

import dev.quark.cluster.transport.SiloUnreachableException;

/**
 * An envelope was not delivered because it breaks the transport's rules: larger than
 * {@code quark.cluster.transport.max-message-size}, or beyond the bounds every silo receives envelopes within
 * (more than 256 metadata entries, a blank metadata key, an actor type, actor id, request id or metadata key
 * longer than 4096 characters), both found by the sender, before sending; or refused by the receiving silo as
 * malformed or not meant for it. The message says why.
 */
public class EnvelopeRejectedException extends SiloUnreachableException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     * @param message which envelope, and why it was refused
     */
    public EnvelopeRejectedException(String message) {
        super(message);
    }
}
