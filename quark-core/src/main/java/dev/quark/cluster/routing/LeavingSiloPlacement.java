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

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Places elsewhere the new activation a leaving silo ({@code SHUTTING_DOWN} in its view) would start for a
 * directory-placed actor: one whose activation here ended while calls for it still waited (calls queued in its
 * mailbox when its hand-over deactivated it, or a call let in because the activation was still here a moment
 * before). Registering it again here would put a second activation beside the hand-over: the leave deactivates
 * only what it found, so that activation would live until the silo closes, and the directory entry naming this
 * silo would stop counting once the silo is {@code DEAD}, letting another silo activate the actor beside it.
 * <p>
 * The calls go to a silo the actor's placement chooses among the active ones (never this one), once the ended
 * activation's entry has left the directory, so that the chosen silo's registration does not find it (alive while
 * this silo is {@code SHUTTING_DOWN}) and send them back here: this silo waits for the directory's owner to answer
 * its removal ({@link DistributedDirectory#unregistering}), and when that failed or did not answer within the
 * hand-off timeout, removes the entry again ({@link DistributedDirectory#removeStale}, by token, for at most the
 * timeout). The chosen silo registers the actor, or learns where it lives now and passes them on. An entry that
 * still names this silo after that (both removals failed, or a re-registration or hand-over of the entry landed
 * after them) sends the calls back here: this silo then removes it before it refuses them as not run
 * ({@link IncomingCalls}), and the chosen silo routes them again without finding it.
 */
final class LeavingSiloPlacement {

    private static final Logger logger = LoggerFactory.getLogger(LeavingSiloPlacement.class);

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
     * activation's thread, until the ended activation's entry is gone: for at most the hand-off timeout for its
     * removal, and as long again for its removal once more when the first failed or did not answer.
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
            return;
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            return;
        }
        catch (ExecutionException | TimeoutException ex) {
            logger.debug("Silo {} removes the directory entry of {} again: its removal {}", this.self, address,
                    (ex instanceof TimeoutException) ? "was not answered within " + this.timeout : "failed", ex);
        }
        this.directory.removeStaleWithinTimeout(address).join();
    }
}
