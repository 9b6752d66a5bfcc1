package dev.quark.runtime.routing;

import java.util.List;
import java.util.Objects;

import dev.quark.runtime.ActorAddress;

/**
 * The call to fail to break a cycle of call chains found across silos: the call of the chain with the highest
 * id that waits in an actor's mailbox. The silo the call was delivered to fails it with a
 * {@link dev.quark.actor.DeadlockException}.
 *
 * @param address the called actor
 * @param callChainId the chain of the call
 * @param method the called method: with the chain, what finds the call (never a one-way message) in the mailbox
 * @param actors the actors of the cycle, as {@code Type/id}, in wait order
 * @param description how the chains wait on each other, as the exception says it
 */
public record DeadlockVictim(ActorAddress address, long callChainId, String method, List<String> actors,
        String description) {

    /**
     * Validates the components and copies the actors.
     */
    public DeadlockVictim {
        Objects.requireNonNull(address, "address must not be null");
        Objects.requireNonNull(method, "method must not be null");
        Objects.requireNonNull(description, "description must not be null");
        actors = List.copyOf(actors);
    }
}
