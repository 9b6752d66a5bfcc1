package dev.quark.runtime.routing;

import java.util.List;
import java.util.Objects;

import dev.quark.runtime.ActorAddress;

/**
 * A deadlock probe (edge chasing across silos): a turn waiting for a nested call has looked for a cycle in its
 * silo's wait-for graph and reached a call that went to another silo; the probe asks that silo to go on from
 * where the call waits, through its own graph. A silo that reaches a call to yet another silo passes the probe
 * on; the initiator's silo, when the path comes back to the waiting turn, has found a cycle.
 *
 * @param initiatorSilo the silo of the turn that started the search
 * @param initiatorId which of that silo's waiting turns started it, its own number for it
 * @param look the initiator's look that sent it, counted from 1: a cycle must be seen on two consecutive looks
 * @param address the called actor where the search goes on
 * @param callChainId the chain of the call, which finds it there
 * @param path the edges of the path so far, the call's last
 */
public record WaitProbe(String initiatorSilo, long initiatorId, long look, ActorAddress address, long callChainId,
        List<WaitStep> path) {

    /** How many edges a path may have; a longer one is dropped. */
    public static final int MAX_PATH = 64;

    /**
     * Validates the components and copies the path.
     */
    public WaitProbe {
        Objects.requireNonNull(initiatorSilo, "initiatorSilo must not be null");
        Objects.requireNonNull(address, "address must not be null");
        path = List.copyOf(path);
        if (path.isEmpty() || path.size() > MAX_PATH) {
            throw new IllegalArgumentException("A wait probe's path has 1 to " + MAX_PATH + " edges, not "
                    + path.size());
        }
    }
}
