package dev.quark.cluster.membership;

import java.time.Duration;

/**
 * Where a silo's membership agent reports what it sees and does; the Spring Boot integration binds it to
 * Micrometer ({@code quark.cluster.members} by status, the probe round-trip timer, suspicions, evictions).
 * Methods are called on the agent's thread and must return quickly.
 */
public interface MembershipMetrics {

    /** Records nothing. */
    MembershipMetrics NONE = new MembershipMetrics() {
    };

    /**
     * Called once when the agent starts, so that gauges can observe the current view (members by status).
     * @param source the agent
     */
    default void bindMembership(ClusterViewSource source) {
    }

    /**
     * Records one direct probe of a peer.
     * @param targetSiloId the peer
     * @param answered whether it answered in time
     * @param roundTrip how long the probe took, by the agent's clock
     */
    default void probed(String targetSiloId, boolean answered, Duration roundTrip) {
    }

    /**
     * Records that this silo voted that a peer is dead.
     * @param targetSiloId the peer
     */
    default void suspected(String targetSiloId) {
    }

    /**
     * Records that this silo wrote a peer's entry as dead.
     * @param siloId the peer
     * @param cause why
     */
    default void siloDeclaredDead(String siloId, DeathCause cause) {
    }

    /**
     * Records that this silo stopped serving on its own.
     * @param reason why
     */
    default void fenced(FenceReason reason) {
    }
}
