package dev.quark.cluster.transport;

/**
 * Thrown when what a call carries cannot be turned into bytes or back; the message names the method and, where
 * it can, the argument.
 */
public class PayloadCodecException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates an exception for bytes or values found wrong without a serializer failure (a wrong argument
     * count, a missing value).
     * @param message what could not be encoded or decoded
     */
    public PayloadCodecException(String message) {
        super(message);
    }

    /**
     * Creates an exception.
     * @param message what could not be encoded or decoded
     * @param cause the serializer's failure
     */
    public PayloadCodecException(String message, Throwable cause) {
        super(message, cause);
    }
}
