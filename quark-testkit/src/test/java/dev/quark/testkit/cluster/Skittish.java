package dev.quark.testkit.cluster;

import dev.quark.actor.Actor;

/**
 * A counter placed by hash whose activations may be made to fail, for the tests of
 * supervised restarts in a cluster.
 */
public interface Skittish extends Actor {

    long add(long amount);

    /** Returns the silo the actor runs on. */
    String where();
}
