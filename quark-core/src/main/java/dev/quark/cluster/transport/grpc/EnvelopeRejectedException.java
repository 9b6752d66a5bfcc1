package dev.quark.cluster.transport.grpc;

import dev.quark.cluster.transport.SiloUnreachableException;

/**
 * An envelope was not delivered because it breaks the transport's rules: larger than
 * {@code quark.cluster.transport.max-message-size} (found by the sender, before sending), or refused by the
 * receiving silo as malformed or not meant for it. The message says why.
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
