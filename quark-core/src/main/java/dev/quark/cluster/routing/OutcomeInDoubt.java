package dev.quark.cluster.routing;

/**
 * Marks the failure of a call sent to another silo whose outcome is unknown: the link it was written to broke
 * before its answer came, or its target silo was declared dead, left or restarted while it waited. Its cause is
 * the failure the caller gets unless the call is sent once more ({@link dev.quark.actor.Idempotent}). Only the
 * waits of calls ({@link Messenger#call}, {@link Messenger#relay}) are failed with it; it never leaves the routing
 * (a silo that passed a call on tells its caller with {@link IncomingCalls#IN_DOUBT}).
 */
final class OutcomeInDoubt extends RuntimeException {

    private static final long serialVersionUID = 1L;

    OutcomeInDoubt(Throwable failure) {
        super(failure.getMessage(), failure, false, false);
    }
}
