package dev.quark.runtime.internal;

/**
 * Work the runtime runs as a turn of an activation that is not a contract method call: a timer tick, a
 * child's escalation.
 */
interface SystemTask {

    /**
     * Returns the name used in logs.
     */
    String name();

    /**
     * Runs inside the turn, on the activation's instance.
     */
    void run(Object instance) throws Exception;

    /**
     * Returns whether running it counts as activity for idle collection.
     */
    boolean keepsActivationAlive();

    /**
     * Returns whether the task still runs when it is waiting in the mailbox of an activation that ends: it
     * then moves to the next activation with the calls that waited.
     */
    default boolean survivesDeactivation() {
        return true;
    }
}
