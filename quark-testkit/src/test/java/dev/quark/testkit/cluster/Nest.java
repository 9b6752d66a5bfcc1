package dev.quark.testkit.cluster;

import dev.quark.actor.Actor;

/**
 * A parent placed by hash that spawns children, for the tests of children placed with their parent.
 */
public interface Nest extends Actor {

    /** Spawns a child {@link Chick} and returns the silo it runs on. */
    String spawn(String childId);

    /** Returns the silo the actor runs on. */
    String where();
}
