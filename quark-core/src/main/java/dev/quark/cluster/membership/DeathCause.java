package dev.quark.cluster.membership;

/**
 * Why a silo declared another one dead, as reported to
 * {@link MembershipMetrics#siloDeclaredDead(String, DeathCause)}.
 */
public enum DeathCause {

    /** Enough active silos suspected it, each after missed direct probes and a failed indirect probe. */
    VOTES,

    /** Its last heartbeat was older than the silo TTL. */
    HEARTBEAT_EXPIRED
}
