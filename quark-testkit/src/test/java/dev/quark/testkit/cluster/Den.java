package dev.quark.testkit.cluster;

import dev.quark.actor.Actor;

/**
 * A parent placed by hash that spawns children placed by the directory: {@link Cub} (local preferred) and
 * {@link Roamer} (random).
 */
public interface Den extends Actor {

    /** Spawns a child {@link Cub}, calls it, and returns the silo it runs on, or why it did not activate. */
    String spawn(String childId);

    /**
     * Spawns a child {@link Cub} and a child {@link Roamer} with that id without calling them, and returns the silo
     * this parent runs on.
     */
    String spawnQuietly(String childId);
}
