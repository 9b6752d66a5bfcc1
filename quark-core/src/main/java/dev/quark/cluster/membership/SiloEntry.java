package dev.quark.cluster.membership;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * One silo's row in the membership table.
 *
 * @param siloId the silo's id, unique in the cluster, not blank
 * @param address where peers reach it
 * @param startTime when this incarnation started
 * @param status where it is in its life
 * @param lastHeartbeat the last time it said it is alive
 * @param epoch its incarnation: a silo that rejoins under the same id writes a higher one, so that votes and
 * calls meant for an earlier incarnation are not taken for it
 * @param actorTypes the actor type names it hosts; placement only picks silos that host the called type
 * @param suspicions the votes of silos that suspect it is dead, at most one per voter
 * @param transportSecurity whether its links to other silos use TLS, {@link TransportSecurity#UNKNOWN} when it
 * does not say (a silo of an earlier version)
 */
public record SiloEntry(String siloId, SiloAddress address, Instant startTime, SiloStatus status,
        Instant lastHeartbeat, long epoch, Set<String> actorTypes, List<Suspicion> suspicions,
        TransportSecurity transportSecurity) {

    /**
     * Validates the components and copies the collections.
     */
    public SiloEntry {
        Objects.requireNonNull(siloId, "siloId must not be null");
        if (siloId.isBlank()) {
            throw new IllegalArgumentException("Silo id must not be blank");
        }
        Objects.requireNonNull(address, "address must not be null");
        Objects.requireNonNull(startTime, "startTime must not be null");
        Objects.requireNonNull(status, "status must not be null");
        Objects.requireNonNull(lastHeartbeat, "lastHeartbeat must not be null");
        actorTypes = Set.copyOf(actorTypes);
        suspicions = List.copyOf(suspicions);
        Objects.requireNonNull(transportSecurity, "transportSecurity must not be null");
    }

    /**
     * Creates an entry that does not say whether its links use TLS ({@link TransportSecurity#UNKNOWN}).
     * @param siloId the silo's id
     * @param address where peers reach it
     * @param startTime when this incarnation started
     * @param status where it is in its life
     * @param lastHeartbeat the last time it said it is alive
     * @param epoch its incarnation
     * @param actorTypes the actor type names it hosts
     * @param suspicions the votes of silos that suspect it is dead
     */
    public SiloEntry(String siloId, SiloAddress address, Instant startTime, SiloStatus status, Instant lastHeartbeat,
            long epoch, Set<String> actorTypes, List<Suspicion> suspicions) {
        this(siloId, address, startTime, status, lastHeartbeat, epoch, actorTypes, suspicions,
                TransportSecurity.UNKNOWN);
    }

    /**
     * Returns a copy with another status.
     * @param next the status
     * @return the copy
     */
    public SiloEntry withStatus(SiloStatus next) {
        return new SiloEntry(this.siloId, this.address, this.startTime, next, this.lastHeartbeat, this.epoch,
                this.actorTypes, this.suspicions, this.transportSecurity);
    }

    /**
     * Returns a copy with another heartbeat.
     * @param at the heartbeat
     * @return the copy
     */
    public SiloEntry withLastHeartbeat(Instant at) {
        return new SiloEntry(this.siloId, this.address, this.startTime, this.status, at, this.epoch,
                this.actorTypes, this.suspicions, this.transportSecurity);
    }

    /**
     * Returns a copy with other suspicions.
     * @param votes the suspicions
     * @return the copy
     */
    public SiloEntry withSuspicions(List<Suspicion> votes) {
        return new SiloEntry(this.siloId, this.address, this.startTime, this.status, this.lastHeartbeat,
                this.epoch, this.actorTypes, votes, this.transportSecurity);
    }

    /**
     * Returns whether the silo hosts an actor type.
     * @param typeName the actor type name
     * @return {@code true} when it does
     */
    public boolean hosts(String typeName) {
        return this.actorTypes.contains(typeName);
    }
}
