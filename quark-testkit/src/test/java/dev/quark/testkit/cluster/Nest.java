package dev.quark.testkit.cluster;

import dev.quark.actor.Actor;

/**
 * A parent that spawns supervised children and calls them, for the tests of children in a cluster.
 */
public interface Nest extends Actor {

    /** Spawns a tally as its child (again: the same child) and returns where the child runs. */
    String spawnTally(String childId);

    /** Spawns a homebody as its child and returns where the child runs. */
    String spawnHomebody(String childId);

    /**
     * Spawns a skittish counter as its child and returns where it runs, or {@code failed} when its activation
     * failed.
     */
    String spawnSkittish(String childId);

    /**
     * Spawns a fickle counter as its child and returns where it runs, or {@code failed} when its activation
     * failed.
     */
    String spawnFickle(String childId);

    /** Returns the silo the actor runs on. */
    String where();
}
