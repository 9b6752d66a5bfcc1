package dev.quark.cluster.routing;

import java.util.function.IntSupplier;

import dev.quark.actor.CallRejectedException;

/**
 * Where a silo's routing reports calls that membership got in the way of; the Spring Boot integration binds
 * it to Micrometer. Methods are called on transport and caller threads and must return quickly.
 */
public interface RoutingMetrics {

    /** Records nothing. */
    RoutingMetrics NONE = new RoutingMetrics() {
    };

    /**
     * Records that this silo passed a call it received on to the silo that owns its actor in its view.
     * @param ownerSiloId the silo the call was passed on to
     */
    default void forwarded(String ownerSiloId) {
    }

    /**
     * Records that a call this silo sent was refused without being run by a silo that is not serving (it left
     * the cluster while this silo still routed with an older view), or could not be handed over to it by the
     * transport (it had closed), and that this silo routes it again; also a one-way call this silo passed on to its
     * actor's owner and could not hand over there, each time this silo routes it again.
     * @param refusingSiloId the silo that refused the call, or that the call could not be handed over to
     */
    default void rerouted(String refusingSiloId) {
    }

    /**
     * Records that a call to an {@link dev.quark.actor.Idempotent} method this silo sent to another silo had an
     * unknown outcome (the link broke after it was written, or that silo was declared dead or left while the call
     * waited), and that this silo sends it once more.
     * @param siloId the silo where the call's outcome is unknown
     */
    default void retried(String siloId) {
    }

    /**
     * Records that a call this silo sent to another silo failed for a membership reason: the target was dead,
     * not a member or unreachable ({@link dev.quark.cluster.SiloUnavailableException}), not serving, or the call
     * was passed on too often ({@link dev.quark.cluster.CallForwardingException}); also a one-way call this silo
     * passed on to its actor's owner and could neither hand over there nor route again (its caller had returned, so
     * no other silo counts it).
     * @param failure the failure the caller got, or the one-way call was dropped with
     */
    default void failedForMembership(Throwable failure) {
    }

    /**
     * Records that a call this silo sent was refused by the transport for its own fault, its envelope too large or
     * beyond the bounds every silo receives envelopes within: an application bug, not a membership failure, so it
     * is not counted by {@link #failedForMembership}. Counted once per refusal of this silo's call, by this silo's
     * transport or by a silo that passed the call on; a {@link CallRejectedException} that a turn on another silo
     * let escape from a call it made itself (naming another actor or method) is that turn's failure and is not
     * counted here: that silo counted it.
     * @param failure the failure the caller got
     */
    default void rejected(CallRejectedException failure) {
    }

    /**
     * Called once when the routing is built, so that a gauge can observe how many links to cluster clients the
     * silo's transport holds (links to addresses where no silo of the view lives).
     * @param clientLinks reads the current count; it copies the transport's peers, so read it when asked, not
     * per call
     * @return what unbinds it (removes the gauge): the routing runs it when it closes, so that a registry that
     * outlives the routing (a restarted silo's) keeps neither a stale gauge nor the closed transport
     */
    default Runnable bindClientLinks(IntSupplier clientLinks) {
        return () -> {
        };
    }

    /**
     * Records that the silo closed its links to cluster client addresses it had not heard from for the idle
     * timeout.
     * @param count how many addresses' links were closed, at least 1
     */
    default void clientLinksClosed(int count) {
    }
}
