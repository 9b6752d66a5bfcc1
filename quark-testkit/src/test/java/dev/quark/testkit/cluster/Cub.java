package dev.quark.testkit.cluster;

import dev.quark.actor.Actor;

/**
 * A child counter placed by the directory where it is first called (local preferred: on its parent's silo, where
 * its parent's supervisor watches it), which that supervisor restarts when a turn or its activation fails, for the
 * tests of children placed by the directory.
 */
public interface Cub extends Actor {

    long add(long amount);

    /** Fails the turn: the parent's supervisor restarts the child. */
    void fail();

    /** Returns the silo the actor runs on. */
    String where();
}
