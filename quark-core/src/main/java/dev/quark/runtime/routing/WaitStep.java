package dev.quark.runtime.routing;

import java.util.Objects;

import dev.quark.runtime.ActorAddress;

/**
 * One edge of a wait-for path that a deadlock probe carries from silo to silo: a turn of a call chain holds an
 * actor and waits for a call it made.
 *
 * @param callChainId the chain of the turn and of its call
 * @param heldActor the actor whose turn waits, as {@code Type/id}
 * @param callSilo the silo the call was delivered to, where it waits or runs
 * @param calledActor the called actor
 * @param method the called method's name
 * @param blocked whether the call waits in the called actor's mailbox behind turns of other chains (the edges
 * that make a cycle); {@code false} while it runs, or while that is not known yet
 */
public record WaitStep(long callChainId, String heldActor, String callSilo, ActorAddress calledActor, String method,
        boolean blocked) {

    /**
     * Validates the components.
     */
    public WaitStep {
        Objects.requireNonNull(heldActor, "heldActor must not be null");
        Objects.requireNonNull(callSilo, "callSilo must not be null");
        Objects.requireNonNull(calledActor, "calledActor must not be null");
        Objects.requireNonNull(method, "method must not be null");
    }

    /**
     * Returns the same step, known to wait in the called actor's mailbox.
     * @return the blocked step
     */
    public WaitStep asBlocked() {
        return new WaitStep(this.callChainId, this.heldActor, this.callSilo, this.calledActor, this.method, true);
    }

    /**
     * Returns whether another step is the same wait, whatever is known of its being blocked.
     * @param other the other step
     * @return whether chain, held actor, called actor and method are the same
     */
    public boolean sameWait(WaitStep other) {
        return this.callChainId == other.callChainId && this.heldActor.equals(other.heldActor)
                && this.calledActor.equals(other.calledActor) && this.method.equals(other.method);
    }

    /**
     * Describes the step as a deadlock's message does.
     * @return {@code chain <hex> holds <actor> and waits for <actor>.<method>()}
     */
    public String describe() {
        return "chain " + Long.toHexString(this.callChainId) + " holds " + this.heldActor + " and waits for "
                + this.calledActor + "." + this.method + "()";
    }
}
