package dev.quark.actor;

/**
 * Creates references to actors.
 * <p>
 * Under Spring Boot this is a bean: inject it where actors are called.
 */
public interface ActorRefFactory {

    /**
     * Returns a reference to the actor with the given contract and id. The actor is activated on its first
     * call, not here.
     * @param contract the actor contract, an interface extending {@link Actor}
     * @param id the actor id, neither null nor blank
     * @param <T> the contract type
     * @return a reference that implements both the contract and {@link ActorRef}
     * @throws IllegalArgumentException if the contract is not an interface, has no registered
     * {@link QuarkActor} implementation, or the id is null or blank
     */
    <T extends Actor> T get(Class<T> contract, String id);
}
