package dev.quark.runtime;

import java.util.Objects;

/**
 * The identity of a virtual actor as every silo knows it: its actor type name and its id. It holds nothing
 * local to one JVM, so it can travel in a message; the silo hosting the actor resolves the type name to its
 * local actor type.
 * <p>
 * The type name of an actor reached through a contract this runtime hosts is the name of the local actor
 * type ({@link dev.quark.actor.QuarkActor#name()}, otherwise the wire name of its first contract); for a
 * contract it does not host, {@link dev.quark.runtime.routing.ActorTypeNames} decides, by default the
 * contract's wire name. See {@code docs/concepts.md}.
 *
 * @param typeName the actor type name, not blank
 * @param id the actor id, not blank
 */
public record ActorAddress(String typeName, String id) {

    /**
     * Validates the components.
     * @param typeName the actor type name, not blank
     * @param id the actor id, not blank
     */
    public ActorAddress {
        Objects.requireNonNull(typeName, "typeName must not be null");
        Objects.requireNonNull(id, "id must not be null");
        if (typeName.isBlank()) {
            throw new IllegalArgumentException("Actor type name must not be blank (id " + id + ")");
        }
        if (id.isBlank()) {
            throw new IllegalArgumentException("Actor id must not be blank (type " + typeName + ")");
        }
    }

    @Override
    public String toString() {
        return this.typeName + "/" + this.id;
    }
}
