package dev.quark.runtime.internal;

import dev.quark.runtime.ActorAddress;

/**
 * The identity of a virtual actor on the silo that hosts it: its local actor type and its id, derived from
 * an {@link ActorAddress} by resolving the type name. Its {@code toString()} is the form used in logs and
 * error messages, {@code Type/id}, the same as its address's.
 *
 * @param type the actor type
 * @param id the actor id
 */
public record ActorIdentity(ActorType type, String id) {

    /**
     * Returns the address other silos know this actor by.
     */
    public ActorAddress address() {
        return new ActorAddress(this.type.name(), this.id);
    }

    @Override
    public String toString() {
        return this.type.name() + "/" + this.id;
    }
}
