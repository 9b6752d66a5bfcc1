package dev.quark.runtime.routing;

import java.util.Objects;

import org.jspecify.annotations.Nullable;

/**
 * Where an actor lives: on this silo, or on another one named by its silo id.
 *
 * @param siloId the id of the silo hosting the actor, {@code null} for this silo
 * @param callChainOnly whether only the calls of one call chain go to that silo: an
 * {@link ActivationGate}'s answer that a turn of the starting call's chain is in progress there
 * ({@link #callChainOn(String)}); it means something only as such an answer (an {@link ActorLocator}'s is taken
 * for the actor's location, for all its calls)
 */
public record ActorLocation(@Nullable String siloId, boolean callChainOnly) {

    /** This silo. */
    public static final ActorLocation LOCAL = new ActorLocation(null, false);

    /**
     * Checks that only another silo's location is limited to a call chain.
     * @param siloId the id of the silo hosting the actor, {@code null} for this silo
     * @param callChainOnly whether only the calls of one call chain go to that silo
     */
    public ActorLocation {
        if (callChainOnly && siloId == null) {
            throw new IllegalArgumentException("Only another silo's location can be limited to a call chain");
        }
    }

    /**
     * Creates a location for all the calls of an actor.
     * @param siloId the id of the silo hosting the actor, {@code null} for this silo
     */
    public ActorLocation(@Nullable String siloId) {
        this(siloId, false);
    }

    /**
     * Returns the location of an actor hosted by another silo.
     * @param siloId the silo's id
     * @return the location
     */
    public static ActorLocation remote(String siloId) {
        Objects.requireNonNull(siloId, "siloId must not be null");
        return new ActorLocation(siloId, false);
    }

    /**
     * Returns the answer of an {@link ActivationGate} that a turn serving the call chain of the message that starts
     * an activation here is in progress on another silo's activation of the actor (one being handed over to this
     * silo): that message and the calls of the same chain waiting behind it go there, as calls back into that
     * turn; the other waiting calls start the activation here again, asking the gate anew.
     * @param siloId the silo's id
     * @return the location
     */
    public static ActorLocation callChainOn(String siloId) {
        Objects.requireNonNull(siloId, "siloId must not be null");
        return new ActorLocation(siloId, true);
    }

    /**
     * Returns whether the actor lives on this silo.
     * @return {@code true} for {@link #LOCAL}
     */
    public boolean isLocal() {
        return this.siloId == null;
    }
}
