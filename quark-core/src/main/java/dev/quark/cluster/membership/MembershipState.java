package dev.quark.cluster.membership;

/**
 * Where a {@link SiloMembership} agent is in its own life. Unlike {@link SiloStatus}, which is what the table
 * says, this is what the agent is doing.
 * <pre>
 * CREATED → JOINING → ACTIVE ⇄ REJOINING (declared dead, rejoins with a new epoch)
 *                       │  └──→ DECLARED_DEAD (declared dead, rejoining turned off)
 *                       └→ LEAVING → LEFT
 * any state → STOPPED (halted without leaving, or the join failed)
 * </pre>
 */
public enum MembershipState {

    /** Built, not started. */
    CREATED,

    /** Writing its entry, not yet serving. */
    JOINING,

    /** In the table as active; serving unless fenced (see {@link SiloMembership#isServing()}). */
    ACTIVE,

    /** Declared dead; joining again with a new epoch, retried at every heartbeat interval until it works. */
    REJOINING,

    /**
     * Declared dead and not rejoining: rejoining is turned off, it was leaving, or a newer incarnation of its
     * silo id took its place.
     */
    DECLARED_DEAD,

    /** Leaving gracefully: shutting down in the table, handing over its actors. */
    LEAVING,

    /** Left the cluster. */
    LEFT,

    /** Stopped without leaving, or never joined. */
    STOPPED
}
