package dev.quark.cluster.routing;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import dev.quark.runtime.ActorAddress;

/**
 * The calls back into a turn that an earlier owner of an actor still runs ({@code A -> B -> A} while {@code A} is
 * handed over), which this silo's activation gate sent to a silo that is leaving
 * ({@link OwnershipHandoff#admit(ActorAddress, long)}): the router sends the calls of that chain for that actor there,
 * as it sends no other call to an actor placed by hash ({@link ClusterRouter}), for as long as the gate's answer
 * holds ({@link #sendingTo}'s time to live). The router looks here only for a send to a leaving silo, so that other
 * sends pay nothing. A silo that turns leaving between the gate's answer and the send refuses the call at the send:
 * routed again, it comes back to the gate, which sends it there anew.
 * <p>
 * Bounded: expired entries go whenever one is added, and past {@value #MAX_ENTRIES} live ones all go (a call back
 * whose entry went is refused at the send and routed again, as above).
 */
final class CallbacksElsewhere {

    /** How many entries are kept at most. */
    static final int MAX_ENTRIES = 1_024;

    private record Callback(String siloId, ActorAddress address, long callChainId) {
    }

    /** The calls back allowed, each with when its allowance ends ({@link System#nanoTime()}). */
    private final Map<Callback, Long> allowed = new ConcurrentHashMap<>();

    /**
     * Records that the activation gate sends the calls of a chain for an actor to a silo, where a turn of that chain
     * is in progress on the actor's activation.
     * @param timeToLiveNanos how long the sends are let through
     */
    void sendingTo(String siloId, ActorAddress address, long callChainId, long timeToLiveNanos) {
        long now = System.nanoTime();
        this.allowed.values().removeIf((until) -> until - now <= 0);
        if (this.allowed.size() >= MAX_ENTRIES) {
            this.allowed.clear();
        }
        this.allowed.put(new Callback(siloId, address, callChainId), now + timeToLiveNanos);
    }

    /**
     * Returns whether a call is a call back that the activation gate sent to a silo, within the time its answer holds.
     * @return whether the router sends it there although that silo is leaving
     */
    boolean allows(String siloId, ActorAddress address, long callChainId) {
        if (this.allowed.isEmpty()) {
            return false;
        }
        Long until = this.allowed.get(new Callback(siloId, address, callChainId));
        return until != null && until - System.nanoTime() > 0;
    }
}
