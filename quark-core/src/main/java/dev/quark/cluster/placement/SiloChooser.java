package dev.quark.cluster.placement;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import dev.quark.cluster.membership.ClusterView;
import dev.quark.cluster.membership.SiloEntry;
import dev.quark.runtime.ActorAddress;

import org.jspecify.annotations.Nullable;

/**
 * Chooses the silo for a call to an actor not placed by consistent hashing: the caller's own silo (local
 * preferred, stateless worker) or a random one among the active silos that host the actor's type. For the
 * placements kept in the directory, it decides afterwards whether the choice stands (the first registration
 * wins).
 */
public final class SiloChooser {

    private SiloChooser() {
    }

    /**
     * Chooses a silo.
     * @param address the actor
     * @param strategy its strategy, any but consistent hashing
     * @param view the caller's view
     * @param self the caller's silo id
     * @param selfServing whether the caller's silo serves calls and activations now
     * @return the silo id; {@code null} when no active silo hosts the type
     */
    public static @Nullable String choose(ActorAddress address, PlacementStrategy strategy, ClusterView view,
            String self, boolean selfServing) {
        String typeName = address.typeName();
        if (strategy != PlacementStrategy.RANDOM && selfServing && hostsActive(view, self, typeName)) {
            return self;
        }
        List<String> hosts = new ArrayList<>();
        for (String siloId : view.ring().silos()) {
            if (hostsActive(view, siloId, typeName)) {
                hosts.add(siloId);
            }
        }
        if (hosts.isEmpty()) {
            return null;
        }
        return hosts.get(ThreadLocalRandom.current().nextInt(hosts.size()));
    }

    private static boolean hostsActive(ClusterView view, String siloId, String typeName) {
        SiloEntry entry = view.membership().silos().get(siloId);
        return entry != null && view.isActive(siloId) && entry.hosts(typeName);
    }
}
