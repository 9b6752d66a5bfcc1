package dev.quark.cluster.directory;

import java.util.Objects;

import dev.quark.cluster.membership.ClusterView;
import dev.quark.cluster.membership.SiloEntry;
import dev.quark.cluster.membership.SiloStatus;

/**
 * Where one activation lives: the silo, in which incarnation, and a token that tells this activation from
 * earlier and later ones of the same actor on the same silo, so that the end of an old activation never
 * removes the entry of a newer one.
 *
 * @param siloId the silo hosting the activation
 * @param epoch the silo's incarnation when it registered the activation
 * @param token the activation's registration, unique on its silo
 */
public record DirectoryEntry(String siloId, long epoch, long token) {

    /**
     * Validates the components.
     */
    public DirectoryEntry {
        Objects.requireNonNull(siloId, "siloId must not be null");
        if (siloId.isBlank()) {
            throw new IllegalArgumentException("Silo id of a directory entry must not be blank");
        }
    }

    /**
     * Returns whether the activation may still live: its silo is in the view, not dead, in the same
     * incarnation.
     * @param view a view of the cluster
     * @return {@code false} once the silo is gone, dead or restarted
     */
    public boolean isAliveIn(ClusterView view) {
        SiloEntry silo = view.membership().silos().get(this.siloId);
        return silo != null && silo.status() != SiloStatus.DEAD && silo.epoch() == this.epoch;
    }

    /**
     * Returns whether another entry names the same silo incarnation.
     * @param other the other entry
     * @return {@code true} for the same silo and epoch, whatever the tokens
     */
    public boolean sameSilo(DirectoryEntry other) {
        return this.siloId.equals(other.siloId) && this.epoch == other.epoch;
    }
}
