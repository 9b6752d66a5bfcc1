package dev.quark.cluster.placement;

/**
 * How the silo of an actor type's activations is chosen.
 */
public enum PlacementStrategy {

    /**
     * The default: the silo the address hashes to on the ring, among those that host the type. Every silo
     * computes it alone; no directory.
     */
    CONSISTENT_HASH(false),

    /**
     * A silo chosen at random among those that host the type ({@link dev.quark.actor.RandomPlacement});
     * recorded in the directory.
     */
    RANDOM(true),

    /**
     * The first caller's silo when it hosts the type, otherwise a random one
     * ({@link dev.quark.actor.LocalPreferredPlacement}); recorded in the directory.
     */
    LOCAL_PREFERRED(true),

    /**
     * A pool of activations per id on every silo that hosts the type, serving the calls made there
     * ({@link dev.quark.actor.StatelessWorker}); no directory, no single activation.
     */
    STATELESS_WORKER(false);

    private final boolean directory;

    PlacementStrategy(boolean directory) {
        this.directory = directory;
    }

    /**
     * Returns whether activations placed this way are recorded in the directory, which keeps one per actor.
     * @return {@code true} for {@link #RANDOM} and {@link #LOCAL_PREFERRED}
     */
    public boolean usesDirectory() {
        return this.directory;
    }

    /**
     * Returns whether a silo that hosts a type placed this way serves the calls it receives for it itself,
     * rather than passing them to the owner by hash.
     * @return {@code true} for every strategy but {@link #CONSISTENT_HASH}
     */
    public boolean servesLocally() {
        return this != CONSISTENT_HASH;
    }
}
