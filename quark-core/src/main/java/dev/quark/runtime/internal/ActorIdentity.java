package dev.quark.runtime.internal;

import dev.quark.runtime.ActorAddress;

/**
 * The identity of a virtual actor on the silo that hosts it: its local actor type and its id, derived from
 * an {@link ActorAddress} by resolving the type name. Its {@code toString()} is the form used in logs and
 * error messages, {@code Type/id}, the same as its address's.
 * <p>
 * A stateless worker has a pool of activations per id on one silo: each has an identity of its own, told
 * apart by its worker number ({@code Type/id#2}); every other actor has worker 0 only.
 *
 * @param type the actor type
 * @param id the actor id
 * @param worker the activation's number in a stateless worker's pool, 0 otherwise
 */
public record ActorIdentity(ActorType type, String id, int worker) {

    /**
     * Creates the identity of an actor's one activation (or the first of a stateless worker's pool).
     * @param type the actor type
     * @param id the actor id
     */
    public ActorIdentity(ActorType type, String id) {
        this(type, id, 0);
    }

    /**
     * Returns the address other silos know this actor by.
     */
    public ActorAddress address() {
        return new ActorAddress(this.type.name(), this.id);
    }

    /**
     * Returns the same actor as another identity, whatever their worker numbers.
     */
    boolean sameActor(ActorIdentity other) {
        return this.type == other.type && this.id.equals(other.id);
    }

    /**
     * Returns the identity of another activation of the same actor's worker pool.
     */
    ActorIdentity worker(int number) {
        return (number == this.worker) ? this : new ActorIdentity(this.type, this.id, number);
    }

    @Override
    public String toString() {
        return this.type.name() + "/" + this.id + ((this.worker != 0) ? "#" + this.worker : "");
    }
}
