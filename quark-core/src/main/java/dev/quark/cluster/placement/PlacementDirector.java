package dev.quark.cluster.placement;

import dev.quark.cluster.membership.ClusterView;
import dev.quark.runtime.ActorAddress;

import org.jspecify.annotations.Nullable;

/**
 * Decides which silo owns an actor in a view of the cluster: the silo where its one activation lives. Every
 * silo that sees the same view must give the same answer, without asking anyone.
 */
@FunctionalInterface
public interface PlacementDirector {

    /**
     * Returns the silo that owns an actor.
     * @param address the actor
     * @param view the view of the cluster
     * @return the owning silo's id, {@code null} when no active silo in the view hosts the actor's type
     */
    @Nullable String ownerOf(ActorAddress address, ClusterView view);
}
