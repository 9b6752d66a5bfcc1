package dev.quark.cluster.transport.grpc;

import java.util.Objects;

import dev.quark.cluster.transport.SiloUnreachableException;

/**
 * An envelope was not delivered because it breaks the transport's rules: larger than
 * {@code quark.cluster.transport.max-message-size}, or beyond the bounds every silo receives envelopes within
 * (more than 256 metadata entries, a blank metadata key, an actor type, actor id, request id or metadata key
 * longer than 4096 characters), found by the sender before sending or by the receiving silo; or refused by the
 * receiving silo as malformed or not meant for it. The message says why, and {@link #reason()} says whether the
 * envelope itself is at fault, so that sending it again cannot succeed.
 */
public class EnvelopeRejectedException extends SiloUnreachableException {

    private static final long serialVersionUID = 1L;

    private final Reason reason;

    /**
     * Creates the exception for a refusal of no known {@link Reason}, as it crossed silos among others.
     * @param message which envelope, and why it was refused
     */
    public EnvelopeRejectedException(String message) {
        this(message, Reason.OTHER);
    }

    /**
     * Creates the exception.
     * @param message which envelope, and why it was refused
     * @param reason what the envelope was refused for
     */
    public EnvelopeRejectedException(String message, Reason reason) {
        super(message);
        this.reason = Objects.requireNonNull(reason, "reason must not be null");
    }

    /**
     * Returns what the envelope was refused for.
     * @return the reason; {@link Reason#OTHER} also when a receiving silo from before reasons were sent refused it
     */
    public Reason reason() {
        return this.reason;
    }

    /**
     * What an envelope was refused for.
     */
    public enum Reason {

        /** Larger than the sending or the receiving silo's {@code quark.cluster.transport.max-message-size}. */
        TOO_LARGE,

        /** Beyond the bounds every silo receives envelopes within (metadata entries, name lengths, blank keys). */
        BEYOND_BOUNDS,

        /**
         * Malformed, meant for another silo or another incarnation, or refused by a silo that does not say why:
         * not the envelope's own fault as far as the sender can tell.
         */
        OTHER
    }
}
