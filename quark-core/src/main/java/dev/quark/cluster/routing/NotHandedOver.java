package dev.quark.cluster.routing;

/**
 * Marks the failure of a call whose envelope the transport could not hand over to its target: the send stage
 * of {@link dev.quark.cluster.transport.Transport#send} failed, so the call was not delivered there (unlike an
 * {@link OutcomeInDoubt}, a call written to a link that broke before its answer came). Its cause is the failure
 * the caller gets unless the call is routed again ({@link UnsentCalls}). Only the waits of calls
 * ({@link Messenger#call}) and the routing's one-way sends are failed with it; it never leaves the routing.
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
}
