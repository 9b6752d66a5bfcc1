package dev.quark.cluster.membership;

/**
 * Told what happens to this silo's own membership, so that the runtime can refuse calls while the silo is
 * not serving and drop its activations once it was declared dead. Methods are called in order on the
 * membership agent's thread and must return quickly.
 */
public interface SiloLifecycleListener {

    /**
     * The silo joined the cluster and serves.
     * @param self its entry
     */
    default void joined(SiloEntry self) {
    }

    /**
     * The silo stopped serving: refuse calls and activations until {@link #resumedServing()} or
     * {@link #rejoined(SiloEntry, long)}. Reported within a probe interval of the moment
     * {@link SiloMembership#isServing()} turned false.
     * @param reason why
     */
    default void fenced(FenceReason reason) {
    }

    /**
     * The silo serves again after a fence that turned out unfounded: it renewed its entry and was not
     * declared dead.
     */
    default void resumedServing() {
    }

    /**
     * The silo learned that the cluster declared this incarnation dead: its activations are owned by other
     * silos now and must be dropped without saving state that others may have changed since.
     * @param epoch the incarnation that was declared dead
     */
    default void declaredDead(long epoch) {
    }

    /**
     * The silo joined again with a new epoch after it was declared dead, and serves.
     * @param self its new entry
     * @param previousEpoch the incarnation that was declared dead
     */
    default void rejoined(SiloEntry self, long previousEpoch) {
    }

    /**
     * The silo left the cluster gracefully.
     */
    default void left() {
    }
}
