package dev.quark.testkit.cluster;

import dev.quark.actor.Actor;

/**
 * A parent placed by hash that spawns {@link Cub} children, placed by the directory.
 */
public interface Den extends Actor {

    /** Spawns a child {@link Cub}, calls it, and returns the silo it runs on, or why it did not activate. */
    String spawn(String childId);
}
