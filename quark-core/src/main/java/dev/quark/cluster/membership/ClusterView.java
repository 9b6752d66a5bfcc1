package dev.quark.cluster.membership;

import java.util.Objects;
import java.util.Optional;

import dev.quark.cluster.ring.HashRing;

/**
 * What one silo currently believes about its cluster: the membership snapshot it last read and the ring of
 * the {@link SiloStatus#ACTIVE active} silos in it. Immutable; a silo swaps in a new view as a whole when
 * membership changes, so routing never sees a snapshot and a ring that disagree.
 *
 * @param membership the snapshot
 * @param ring the ring of its active silos
 */
public record ClusterView(MembershipSnapshot membership, HashRing ring) {

    /** No members: nothing is owned by anybody. */
    public static final ClusterView EMPTY = new ClusterView(MembershipSnapshot.EMPTY, HashRing.empty());

    /**
     * Validates the components.
     * @param membership the snapshot
     * @param ring the ring
     */
    public ClusterView {
        Objects.requireNonNull(membership, "membership must not be null");
        Objects.requireNonNull(ring, "ring must not be null");
    }

    /**
     * Builds the view of a snapshot: the ring of its active silos.
     * @param membership the snapshot
     * @param virtualNodes the points per silo on the ring
     * @return the view
     */
    public static ClusterView of(MembershipSnapshot membership, int virtualNodes) {
        return new ClusterView(membership,
                HashRing.of(membership.withStatus(SiloStatus.ACTIVE).keySet(), virtualNodes));
    }

    /**
     * Returns the membership version this view was built from; calls carry it so that a silo can tell a
     * sender whose view is older than its own.
     * @return the table version
     */
    public long version() {
        return this.membership.version();
    }

    /**
     * Returns the incarnation of the membership table this view was built from; a version means something
     * only within one incarnation, so calls should carry both.
     * @return the table's incarnation
     */
    public String incarnation() {
        return this.membership.incarnation();
    }

    /**
     * Returns one silo's entry.
     * @param siloId the silo
     * @return its entry, empty when the snapshot has none
     */
    public Optional<SiloEntry> silo(String siloId) {
        return this.membership.silo(siloId);
    }

    /**
     * Returns whether a silo is active in this view.
     * @param siloId the silo
     * @return {@code true} when its entry says {@link SiloStatus#ACTIVE}
     */
    public boolean isActive(String siloId) {
        SiloEntry entry = this.membership.silos().get(siloId);
        return entry != null && entry.status() == SiloStatus.ACTIVE;
    }
}
