package dev.quark.actor;

import java.util.List;

/**
 * Call chains waited on each other in a cycle that reentrancy cannot resolve: chain 1 holds actor X and
 * calls Y while chain 2 holds Y and calls X. The runtime finds such cycles in its wait-for graph and fails
 * one call of the cycle with this exception, so the others complete instead of waiting for the call timeout.
 */
public class DeadlockException extends ActorException {

    private static final long serialVersionUID = 1L;

    private final List<String> actors;

    /**
     * Creates the exception.
     * @param actors the actors of the cycle, as {@code Contract/id}, in wait order
     * @param description how the chains wait on each other
     */
    public DeadlockException(List<String> actors, String description) {
        super("Deadlock between call chains: " + description);
        this.actors = List.copyOf(actors);
    }

    /**
     * Returns the actors of the cycle, in wait order.
     * @return the actors, as {@code Contract/id}
     */
    public List<String> getActors() {
        return this.actors;
    }
}
