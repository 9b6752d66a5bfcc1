package dev.quark.testkit.cluster;

import dev.quark.actor.Actor;

/**
 * A stateless worker, for the placement tests.
 */
public interface Worker extends Actor {

    /** Returns the silo the activation runs on. */
    String where();

    /** Waits until the test opens the gate, then returns the silo the activation runs on. */
    String hold(String gate);

    /** Waits until {@code parties} turns arrived at a meeting, then calls {@code where()} on a tally. */
    String meetThenCall(String tallyId, String meeting, int parties);
}
