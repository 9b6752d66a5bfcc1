package dev.quark.testkit.cluster;

import dev.quark.actor.Actor;

/**
 * A counter placed at random and kept in the directory, for the placement tests.
 */
public interface Roamer extends Actor {

    long add(long amount);

    /** Returns the silo the actor runs on. */
    String where();
}
