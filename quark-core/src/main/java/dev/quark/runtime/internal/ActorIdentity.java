package dev.quark.runtime.internal;

/**
 * The identity of a virtual actor: its implementation type and its id. Its {@code toString()} is the form
 * used in logs and error messages, {@code Contract/id}.
 *
 * @param type the actor type
 * @param id the actor id
 */
public record ActorIdentity(ActorType type, String id) {

    @Override
    public String toString() {
        return this.type.name() + "/" + this.id;
    }
}
