package dev.quark.cluster.transport.grpc;

import dev.quark.cluster.transport.LinkRefusal;
import dev.quark.cluster.transport.SiloUnreachableException;

/**
 * A silo refused the link another silo opened to it: the two belong to clusters of different names, or speak
 * different protocol versions, or the other silo's TLS certificate does not name the address it advertises. The
 * message names the values of both sides. The envelope that met the refusal, and those after it, were not delivered.
 */
public class HandshakeRefusedException extends SiloUnreachableException implements LinkRefusal {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     * @param message who refused whom, with both sides' cluster names and protocol versions
     */
    public HandshakeRefusedException(String message) {
        super(message);
    }
}
