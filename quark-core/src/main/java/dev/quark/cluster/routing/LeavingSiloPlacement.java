package dev.quark.cluster.routing;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import dev.quark.cluster.SiloUnavailableException;
import dev.quark.cluster.membership.ClusterView;
import dev.quark.cluster.membership.SiloEntry;
import dev.quark.cluster.membership.SiloStatus;
import dev.quark.cluster.placement.PlacementStrategy;
import dev.quark.cluster.placement.SiloChooser;
import dev.quark.runtime.ActorAddress;
import dev.quark.runtime.routing.ActorLocation;

/**
 * Places elsewhere the new activation a leaving silo ({@code SHUTTING_DOWN} in its view) would start for a
 * directory-placed actor: one whose activation here ended while calls for it still waited (calls queued in its
 * mailbox when its hand-over deactivated it, or a call let in because the activation was still here a moment
 * before). Registering it again here would put a second activation beside the hand-over: the leave deactivates
 * only what it found, so that activation would live until the silo closes, and the directory entry naming this
 * silo would stop counting once the silo is {@code DEAD}, letting another silo activate the actor beside it.
 * <p>
 * The calls go to a silo the actor's placement chooses among the active ones (never this one), once the directory's
 * owner has answered the removal of the ended activation's entry ({@link DistributedDirectory#unregistering}), so
 * that the chosen silo's registration does not find that entry and send them back here; that silo registers the
 * actor, or learns where it lives now and passes them on.
 */
final class LeavingSiloPlacement {

    private final String self;

    private final ViewTracker views;

    private final DistributedDirectory directory;

    private final Duration timeout;

    LeavingSiloPlacement(String self, ViewTracker views, DistributedDirectory directory, Duration timeout) {
        this.self = self;
        this.views = views;
        this.directory = directory;
        this.timeout = timeout;
    }

    /** Returns whether this silo is leaving the cluster in its current view. */
    boolean isLeaving() {
        SiloEntry own = this.views.current().membership().silos().get(this.self);
        return own != null && own.status() == SiloStatus.SHUTTING_DOWN;
    }

    /**
     * Chooses the silo for a new activation of a directory-placed actor while this silo is leaving. Blocks, on the
     * activation's thread, until the ended activation's entry is gone, for at most the hand-off timeout (then the
     * chosen silo's registration may still find the entry, and its calls come back here to be refused and routed
     * again by their callers).
     * @throws SiloUnavailableException when no other active silo hosts the actor's type
     */
    ActorLocation elsewhere(ActorAddress address, PlacementStrategy strategy) {
        awaitEntryRemoved(address);
        ClusterView view = this.views.current();
        String chosen = SiloChooser.choose(address, strategy, view, this.self, false);
        if (chosen == null || chosen.equals(this.self)) {
            throw new SiloUnavailableException("Silo " + this.self + " is leaving the cluster and does not activate "
                    + address + " again; no other active silo hosts actor type '" + address.typeName()
                    + "' (membership version " + view.version() + ")");
        }
        return ActorLocation.remote(chosen);
    }

    private void awaitEntryRemoved(ActorAddress address) {
        CompletableFuture<Void> removal = this.directory.unregistering(address);
        if (removal == null) {
            return;
        }
        try {
            removal.get(this.timeout.toMillis(), TimeUnit.MILLISECONDS);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
        catch (ExecutionException | TimeoutException ex) {
            // Placed all the same: the chosen silo resolves it with the directory.
        }
    }
}
