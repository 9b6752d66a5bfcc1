package dev.quark.cluster.routing;

import dev.quark.cluster.transport.LinkRefusal;
import dev.quark.cluster.transport.SiloUnreachableException;
import dev.quark.cluster.transport.grpc.LinkBrokenException;

/**
 * Marks the failure of a call whose envelope the transport could not hand over to its target: the send stage
 * of {@link dev.quark.cluster.transport.Transport#send} failed, so the call was not delivered there (unlike an
 * {@link OutcomeInDoubt}, a call written to a link that broke before its answer came). Its cause is the failure
 * the caller gets unless the call is routed again ({@link UnsentCalls}). Only the waits of calls
 * ({@link Messenger#call}) and the routing's one-way sends are failed with it; it never leaves the routing.
 * <p>
 * Only a failure to reach the target ({@link #isUnreached}) is marked: the other failures of a send, back-pressure
 * ({@code PeerOverloadedException}), an envelope too large ({@code EnvelopeRejectedException}) and a link the two
 * silos' configuration refuses ({@link LinkRefusal}), are the call's outcome at once, as documented for them.
 */
final class NotHandedOver extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final transient Peer target;

    /**
     * @param failure what the transport failed the send with, or the caller's failure made of it
     * @param target the silo, and incarnation, the call was sent to
     */
    NotHandedOver(Throwable failure, Peer target) {
        super(failure.getMessage(), failure, false, false);
        this.target = target;
    }

    /** The silo, and incarnation, the call could not be handed over to. */
    Peer target() {
        return this.target;
    }

    /**
     * Whether a failed send says the target could not be reached, so that the call may be routed again: the
     * in-JVM transport's plain {@link SiloUnreachableException} (nobody listens there, the link is cut, a transport
     * closed) and the gRPC transport's {@link LinkBrokenException} that is not a {@link LinkRefusal} (the link is
     * down or in its reconnect back-off). Not a subclass of either that means something else: back-pressure, an
     * envelope too large, a refused handshake, or another transport's failures of its own.
     * @param failure what the transport failed the send with (unwrapped)
     * @return whether to mark the failure {@link NotHandedOver}
     */
    static boolean isUnreached(Throwable failure) {
        if (failure instanceof LinkRefusal) {
            return false;
        }
        return failure.getClass() == SiloUnreachableException.class || failure.getClass() == LinkBrokenException.class;
    }
}
