package dev.quark.messaging.runtime;

/**
 * Hashes ordering keys into partitions, the same way on every JVM: the key's {@code String.hashCode()} (defined by
 * the Java language), mixed by the MurmurHash3 finalizer so that similar keys spread, modulo the partition count.
 * Changing the partition count moves keys to other partitions: drain the outbox first (see docs/messaging.md).
 */
public final class Partitioner {

    /** The most partitions. */
    public static final int MAX_PARTITIONS = 4096;

    private final int partitions;

    /**
     * Creates a partitioner.
     * @param partitions the partition count, 1 to {@value #MAX_PARTITIONS}
     */
    public Partitioner(int partitions) {
        if (partitions < 1 || partitions > MAX_PARTITIONS) {
            throw new IllegalArgumentException("partitions must be between 1 and " + MAX_PARTITIONS + ", was "
                    + partitions);
        }
        this.partitions = partitions;
    }

    /**
     * Returns the partition count.
     * @return the count
     */
    public int partitions() {
        return this.partitions;
    }

    /**
     * Returns a key's partition.
     * @param key the key
     * @return the partition, from 0 to {@code partitions() - 1}
     */
    public int partition(String key) {
        int h = key.hashCode();
        h ^= h >>> 16;
        h *= 0x85ebca6b;
        h ^= h >>> 13;
        h *= 0xc2b2ae35;
        h ^= h >>> 16;
        return Math.floorMod(h, this.partitions);
    }
}
