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

    /** What {@link #linkBrokenToEpoch} is when the outcome is not unknown because this silo's own link broke. */
    static final long NO_LINK = Long.MIN_VALUE;

    private final long linkBrokenToEpoch;

    /**
     * An unknown outcome for another reason than this silo's own link breaking: its target is gone, or the silo
     * that passed the call on reported it unknown.
     */
    OutcomeInDoubt(Throwable failure) {
        this(failure, NO_LINK);
    }

    /**
     * @param linkBrokenToEpoch the incarnation of the target silo when this silo's own link to it broke (the
     * transport reported the request in doubt), otherwise {@link #NO_LINK}
     */
    OutcomeInDoubt(Throwable failure, long linkBrokenToEpoch) {
        super(failure.getMessage(), failure, false, false);
        this.linkBrokenToEpoch = linkBrokenToEpoch;
    }

    /** Whether the outcome is unknown because this silo's own link to the target broke. */
    boolean linkBroke() {
        return this.linkBrokenToEpoch != NO_LINK;
    }

    /** The incarnation of the target whose link broke; {@link #NO_LINK} unless {@link #linkBroke}. */
    long linkBrokenToEpoch() {
        return this.linkBrokenToEpoch;
    }
}
