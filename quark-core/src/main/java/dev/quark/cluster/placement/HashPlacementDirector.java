package dev.quark.cluster.placement;

import dev.quark.cluster.membership.ClusterView;
import dev.quark.cluster.membership.SiloEntry;
import dev.quark.cluster.ring.RingHash;
import dev.quark.runtime.ActorAddress;

import org.jspecify.annotations.Nullable;

/**
 * Consistent-hash placement, the default: an actor belongs to the silo that owns the {@link RingHash} of its
 * address on the view's ring among the silos that host its actor type. No directory is needed, and a membership
 * change moves only the actors of the ranges that change hands.
 */
public final class HashPlacementDirector implements PlacementDirector {

    @Override
    public @Nullable String ownerOf(ActorAddress address, ClusterView view) {
        String typeName = address.typeName();
        return view.ring().ownerOf(RingHash.of(address), (siloId) -> {
            SiloEntry entry = view.membership().silos().get(siloId);
            return entry != null && entry.hosts(typeName);
        });
    }

    @Override
    public String toString() {
        return "ConsistentHash";
    }
}
