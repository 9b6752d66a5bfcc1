package dev.quark.cluster.routing;

import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

import dev.quark.cluster.membership.ClusterView;
import dev.quark.cluster.membership.ClusterViewSource;
import dev.quark.cluster.placement.TypePlacements;
import dev.quark.cluster.transport.PayloadCodec;
import dev.quark.runtime.ActorRuntime;
import dev.quark.runtime.ActorTypeView;

import org.jspecify.annotations.Nullable;

/**
 * What the routing of a silo is bound to once the silo starts, after the parts that need the routing were
 * built: its runtime and codec (when its transport starts listening) and its view source (when it follows
 * membership).
 */
final class SiloBinding {

    private volatile @Nullable ActorRuntime runtime;

    private volatile @Nullable PayloadCodec codec;

    private volatile @Nullable ClusterViewSource source;

    private volatile TypePlacements placements = TypePlacements.CONSISTENT_HASH;

    private volatile Set<String> hostedTypes = Set.of();

    void bind(ActorRuntime boundRuntime, PayloadCodec boundCodec) {
        this.placements = TypePlacements.of(boundRuntime.actorTypes());
        this.hostedTypes = boundRuntime.actorTypes().stream().map(ActorTypeView::name)
            .collect(Collectors.toUnmodifiableSet());
        this.runtime = boundRuntime;
        this.codec = boundCodec;
    }

    /**
     * Returns the placement of the actor types this silo hosts; consistent hashing for the others.
     */
    TypePlacements placements() {
        return this.placements;
    }

    /**
     * Returns whether an actor type is hosted here, placed by hash (the owner the placement director names) and
     * places the children a parent spawns with the parent ({@link dev.quark.actor.PlacedWithParent}): the only
     * hash-placed types whose directory partition is their owner, that their owner claims before it activates
     * them, and whose first activations a new owner holds for the re-registration rounds. The others activate on
     * their owner as if there were no children.
     */
    boolean placedWithParent(String typeName) {
        return this.hostedTypes.contains(typeName) && this.placements.placedWithParent(typeName);
    }

    void follow(ClusterViewSource boundSource) {
        this.source = boundSource;
    }

    ActorRuntime runtime() {
        return Objects.requireNonNull(this.runtime, "the silo's routing is not listening yet");
    }

    PayloadCodec codec() {
        return Objects.requireNonNull(this.codec, "the silo's routing is not listening yet");
    }

    /**
     * Returns whether the silo may serve calls and activations: it follows a view source that says so.
     */
    boolean isServing() {
        ClusterViewSource bound = this.source;
        return bound != null && bound.isServing();
    }

    /**
     * Asks the view source to read membership again for a view another silo had that this silo's routing is behind
     * ({@link ViewTracker#isBehind}): by the incarnation of its table too, when the other silo said which it was.
     */
    void refreshFor(SeenView seen) {
        ClusterViewSource bound = this.source;
        if (bound == null) {
            return;
        }
        if (seen.incarnation().isEmpty()) {
            bound.refreshIfOlderThan(seen.version());
        }
        else {
            bound.refreshIfOlderThan(seen.incarnation(), seen.version());
        }
    }

    /**
     * Asks the view source to read membership again when another silo announced a change this silo's routing is
     * behind ({@link ViewTracker#isBehind}): of a newer version, or of a table of another incarnation, which a source
     * is told as a version newer than any.
     */
    void refreshOnAnnouncement(SeenView announced, ClusterView current) {
        ClusterViewSource bound = this.source;
        if (bound != null) {
            bound.refreshOnAnnouncement(announced.comparableWith(current) ? announced.version() : Long.MAX_VALUE);
        }
    }
}
