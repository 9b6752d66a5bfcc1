package dev.quark.cluster.ring;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.TreeSet;
import java.util.function.Predicate;

import dev.quark.runtime.ActorAddress;

import org.jspecify.annotations.Nullable;

/**
 * An immutable consistent-hash ring: every silo is placed at {@code virtualNodes} points (the {@link RingHash}
 * of {@code "siloId#n"}), and a key belongs to the first point at or after its hash, wrapping around. Lookups
 * are a binary search over a sorted {@code long[]}; a membership change builds a new ring, which callers swap
 * in atomically, so a lookup never sees half a change. Two JVMs given the same silo ids build identical
 * rings, whatever order the ids come in.
 */
public final class HashRing {

    private static final HashRing EMPTY = new HashRing(new long[0], new String[0], List.of(), 0);

    private final long[] points;

    private final String[] owners;

    private final List<String> silos;

    private final int virtualNodes;

    private HashRing(long[] points, String[] owners, List<String> silos, int virtualNodes) {
        this.points = points;
        this.owners = owners;
        this.silos = silos;
        this.virtualNodes = virtualNodes;
    }

    /**
     * Returns a ring without silos, which owns nothing.
     * @return the empty ring
     */
    public static HashRing empty() {
        return EMPTY;
    }

    /**
     * Builds a ring.
     * @param siloIds the silos, in any order; duplicates count once
     * @param virtualNodes the points per silo, at least 1
     * @return the ring
     */
    public static HashRing of(Collection<String> siloIds, int virtualNodes) {
        Objects.requireNonNull(siloIds, "siloIds must not be null");
        if (virtualNodes < 1) {
            throw new IllegalArgumentException("virtualNodes must be at least 1, was " + virtualNodes);
        }
        List<String> silos = List.copyOf(new TreeSet<>(siloIds));
        if (silos.isEmpty()) {
            return EMPTY;
        }
        int size = silos.size() * virtualNodes;
        long[] hashes = new long[size];
        String[] hashOwners = new String[size];
        Integer[] order = new Integer[size];
        int i = 0;
        for (String silo : silos) {
            for (int n = 0; n < virtualNodes; n++) {
                hashes[i] = RingHash.of(silo + "#" + n);
                hashOwners[i] = silo;
                order[i] = i;
                i++;
            }
        }
        // Equal points (astronomically rare) are ordered by silo id, so every JVM breaks the tie alike.
        Arrays.sort(order, (a, b) -> {
            int byHash = Long.compare(hashes[a], hashes[b]);
            return (byHash != 0) ? byHash : hashOwners[a].compareTo(hashOwners[b]);
        });
        long[] points = new long[size];
        String[] owners = new String[size];
        for (int k = 0; k < size; k++) {
            points[k] = hashes[order[k]];
            owners[k] = hashOwners[order[k]];
        }
        return new HashRing(points, owners, silos, virtualNodes);
    }

    /**
     * Returns the silo that owns a hash.
     * @param hash a key's {@link RingHash}
     * @return the owning silo's id, {@code null} when the ring is empty
     */
    public @Nullable String ownerOf(long hash) {
        if (this.points.length == 0) {
            return null;
        }
        return this.owners[indexOf(hash)];
    }

    /**
     * Returns the silo that owns an actor address.
     * @param address the address
     * @return the owning silo's id, {@code null} when the ring is empty
     */
    public @Nullable String ownerOf(ActorAddress address) {
        return ownerOf(RingHash.of(address));
    }

    /**
     * Returns the first silo at or after a hash that passes a test: the owner among the silos eligible for
     * a key, for instance those that host its actor type. Keys of silos that fail the test go to their
     * successors, as if those silos were not on the ring.
     * @param hash a key's {@link RingHash}
     * @param eligible the test
     * @return the owning silo's id, {@code null} when no silo passes
     */
    public @Nullable String ownerOf(long hash, Predicate<String> eligible) {
        int length = this.points.length;
        if (length == 0) {
            return null;
        }
        int start = indexOf(hash);
        for (int step = 0; step < length; step++) {
            String owner = this.owners[(start + step) % length];
            if (eligible.test(owner)) {
                return owner;
            }
        }
        return null;
    }

    private int indexOf(long hash) {
        int index = Arrays.binarySearch(this.points, hash);
        if (index < 0) {
            index = -index - 1;
        }
        return (index == this.points.length) ? 0 : index;
    }

    /**
     * Returns the silos on the ring.
     * @return their ids, sorted
     */
    public List<String> silos() {
        return this.silos;
    }

    /**
     * Returns the points per silo.
     * @return the number of virtual nodes
     */
    public int virtualNodes() {
        return this.virtualNodes;
    }

    /**
     * Returns the ring's points with their owners, in ring order; for diagnostics and the actuator endpoint.
     * @return one entry per virtual node
     */
    public List<Point> points() {
        List<Point> result = new ArrayList<>(this.points.length);
        for (int i = 0; i < this.points.length; i++) {
            result.add(new Point(this.points[i], this.owners[i]));
        }
        return result;
    }

    /**
     * One virtual node.
     * @param hash its position
     * @param siloId its silo
     */
    public record Point(long hash, String siloId) {
    }

    @Override
    public String toString() {
        return "HashRing" + this.silos + " x" + this.virtualNodes;
    }
}
