package dev.quark.cluster.transport.grpc;

import dev.quark.cluster.transport.SiloUnreachableException;

/**
 * The gRPC stream to another silo broke (or could not be opened). Envelopes not yet written fail with it,
 * nothing delivered; a call already written whose answer had not come fails with it too, and may or may not
 * have run on the other silo.
 */
public class LinkBrokenException extends SiloUnreachableException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     * @param message which link broke, and why
     */
    public LinkBrokenException(String message) {
        super(message);
    }
}
