package dev.quark.testkit.cluster;

import dev.quark.actor.Actor;

/**
 * A counter placed on its first caller's silo and kept in the directory, whose activations may be made to fail,
 * for the tests of supervised restarts of directory-placed children.
 */
public interface Fickle extends Actor {

    long add(long amount);

    /** Returns the silo the actor runs on. */
    String where();
}
