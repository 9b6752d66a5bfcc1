package dev.quark.runtime.routing;

/**
 * A call's count of how many times a cluster router has routed it again after silos refused it without
 * running it, and whether it is the retry of an idempotent call. The runtime's view of a call that entered as an {@link InboundCall} implements it, so that a call
 * routed back to its caller's silo and sent on from there (the directory names another silo) keeps its count
 * instead of starting again from zero.
 */
public interface ReroutedCall {

    /**
     * Returns how many times the call was routed again so far.
     * @return the count, 0 for a call never refused
     */
    int reroutes();

    /**
     * Returns whether the call is the one retry of an idempotent call whose first outcome was unknown, so that a
     * router that sends it on does not retry it once more.
     * @return whether it is a retry; {@code false} by default
     */
    default boolean retried() {
        return false;
    }

    /**
     * Returns whether the call waited in a mailbox of this silo before it is sent to another (its activation moved
     * there), so that a silo waiting for the calls made before its wait for idle counts it whenever it is sent.
     * @return whether it is a relocation; {@code false} by default
     */
    default boolean relocated() {
        return false;
    }
}
