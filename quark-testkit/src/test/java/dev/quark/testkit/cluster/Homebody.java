package dev.quark.testkit.cluster;

import dev.quark.actor.Actor;

/**
 * A counter placed on its first caller's silo and kept in the directory, for the placement tests.
 */
public interface Homebody extends Actor {

    long add(long amount);

    /** Returns the silo the actor runs on. */
    String where();

    /**
     * Waits at a gate of the environment, then asks a tally where this actor runs (the tally calls it back in
     * this turn); returns that answer.
     */
    String holdThenAskBack(String gate, String tallyId);
}
