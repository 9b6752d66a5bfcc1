package dev.quark.runtime.routing;

import java.util.Objects;

import org.jspecify.annotations.Nullable;

/**
 * Where an actor lives: on this silo, or on another one named by its silo id.
 *
 * @param siloId the id of the silo hosting the actor, {@code null} for this silo
 */
public record ActorLocation(@Nullable String siloId) {

    /** This silo. */
    public static final ActorLocation LOCAL = new ActorLocation(null);

    /**
     * Returns the location of an actor hosted by another silo.
     * @param siloId the silo's id
     * @return the location
     */
    public static ActorLocation remote(String siloId) {
        Objects.requireNonNull(siloId, "siloId must not be null");
        return new ActorLocation(siloId);
    }

    /**
     * Returns whether the actor lives on this silo.
     * @return {@code true} for {@link #LOCAL}
     */
    public boolean isLocal() {
        return this.siloId == null;
    }
}
