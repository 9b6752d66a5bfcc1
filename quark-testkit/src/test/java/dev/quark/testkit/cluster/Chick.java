package dev.quark.testkit.cluster;

import dev.quark.actor.Actor;

/**
 * A child placed by hash, spawned by a {@link Nest}, for the tests of children placed with their parent.
 */
public interface Chick extends Actor {

    long add(long amount);

    /** Returns the silo the actor runs on. */
    String where();

    /** Throws, so that its supervisor decides (restart by default). */
    void fail();

    /** Waits in its turn until the test opens the gate. */
    void block(String gate);
}
