package dev.quark.runtime;

/**
 * One activation's instance, as {@link ActivationHook}s see it.
 *
 * @param type the actor type
 * @param id the actor id
 * @param instance the instance of {@link ActorTypeView#implementation()}
 */
public record ActorInstance(ActorTypeView type, String id, Object instance) {

    @Override
    public String toString() {
        return this.type.name() + "/" + this.id;
    }
}
