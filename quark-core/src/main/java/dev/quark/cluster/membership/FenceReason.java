package dev.quark.cluster.membership;

/**
 * Why a silo stopped serving on its own, as reported to {@link SiloLifecycleListener#fenced(FenceReason)}.
 */
public enum FenceReason {

    /**
     * It could not renew its entry within the TTL minus the fencing margin: it cannot know whether others have
     * declared it dead. It serves again as soon as a heartbeat goes through.
     */
    NOT_RENEWED,

    /**
     * Its own rounds did not run for as long as others need to vote it dead (a long stop-the-world pause, a
     * frozen VM). It serves again once a heartbeat shows it was not declared dead meanwhile.
     */
    PAUSED,

    /** It learned that the cluster declared it dead. Its activations belong to other silos now. */
    DECLARED_DEAD
}
