package dev.quark.testkit.cluster;

import dev.quark.actor.Actor;

/**
 * A counter with persistent state, saved by every call, for the churn tests.
 */
public interface Ledger extends Actor {

    /** Adds to the total and saves it; returns the new total. */
    long add(long amount);

    long total();
}
