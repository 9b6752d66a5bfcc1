package dev.quark.cluster.transport.grpc;

import dev.quark.cluster.transport.LinkRefusal;

/**
 * The TLS handshake of a link to another silo failed: one of the two does not trust the other's certificate (it
 * was issued by another authority, expired, or names another host), presented none where one is required, or
 * does not speak TLS at all. The TLS failure is the {@linkplain #getCause() cause}, and its message is part of
 * this one. Nothing was delivered. Unlike a broken stream, it does not heal by itself: the silos' TLS material
 * (or {@code quark.cluster.transport.ssl.bundle}) must be fixed, after which the next connection succeeds.
 */
public class TlsHandshakeException extends LinkBrokenException implements LinkRefusal {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception without its cause, as when it is rebuilt from its type name and message.
     * @param message which link failed, and why
     */
    public TlsHandshakeException(String message) {
        super(message);
    }

    /**
     * Creates the exception.
     * @param message which link failed, and why
     * @param cause the TLS failure ({@code javax.net.ssl.SSLException} or one of its subclasses)
     */
    public TlsHandshakeException(String message, Throwable cause) {
        super(message);
        initCause(cause);
    }
}
