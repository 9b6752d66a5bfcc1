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
 * of {@code "siloId#n"} for n from 0), and a key is looked up at {@value #PROBES} positions derived from its
 * hash (the hash itself and {@value #PROBES} - 1 mixes of it): the point that follows one of them most
 * closely, wrapping around from the top of the signed 64-bit range to its bottom, owns the key. This is
 * multi-probe consistent hashing (Appleton and O'Reilly, 2015): with one probe a silo's share of the keys is
 * the sum of the arcs before its points, which varies around the mean by about {@code 1/sqrt(virtualNodes)};
 * with several, the variance of the arc lengths largely cancels, so 150 points per silo spread keys as evenly
 * as about 1,000 single-probe points would, without the memory or the build time. The points are a sorted
 * {@code long[]}; each probe finds its place through an index of the points by the top bits of their hashes
 * (one read, then on average less than one point to step over) rather than a binary search.
 * <p>
 * A membership change builds a new ring, which callers swap in atomically, so a lookup never sees half a
 * change. Two JVMs given the same silo ids build identical rings, whatever order the ids come in; a point
 * that two silos share (astronomically rare) belongs to the smaller silo id, and two probes equally close to
 * their points (as rare) go to the earlier probe. A silo that joins takes only keys whose nearest point is now
 * one of its own, and a silo that leaves gives its keys to the silos whose points were next nearest: no key
 * moves between two silos that stay. The probe function, like {@link RingHash}, is part of the cluster's wire
 * contract. See docs/clustering.md for the measured figures.
 */
public final class HashRing {

    /** The positions each key is looked up at. */
    static final int PROBES = 6;

    /** The golden ratio's 64-bit fraction: probe {@code n} starts from {@code hash + n * GOLDEN}. */
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    /** The most points a ring holds, 16 M: far beyond any cluster, and 256 MB of arrays. */
    static final int MAX_POINTS = 1 << 24;

    private static final HashRing EMPTY = new HashRing(new long[0], new int[0], List.of(), 0);

    /** The points, sorted and distinct. */
    private final long[] points;

    /** The silo of each point, as an index into {@link #siloIds}. */
    private final int[] owners;

    private final String[] siloIds;

    private final List<String> silos;

    private final int virtualNodes;

    /**
     * The first point of each bucket: the ring cut into a power of two of equal ranges, at least as many as
     * there are points, so a lookup reads one entry and then, on average, less than one point.
     */
    private final int[] buckets;

    /** {@code 64 - log2(buckets.length)}: a hash's bucket is its top bits. */
    private final int bucketShift;

    private HashRing(long[] points, int[] owners, List<String> silos, int virtualNodes) {
        this.points = points;
        this.owners = owners;
        this.siloIds = silos.toArray(String[]::new);
        this.silos = silos;
        this.virtualNodes = virtualNodes;
        int bucketBits = Math.max(1, 32 - Integer.numberOfLeadingZeros(Math.max(1, points.length - 1)));
        this.buckets = new int[1 << bucketBits];
        this.bucketShift = 64 - bucketBits;
        int point = 0;
        for (int bucket = 0; bucket < this.buckets.length; bucket++) {
            while (point < points.length && bucketOf(points[point]) < bucket) {
                point++;
            }
            this.buckets[bucket] = point;
        }
    }

    /** Flipping the sign bit turns the signed order of hashes into the unsigned order of their top bits. */
    private int bucketOf(long hash) {
        return (int) ((hash ^ Long.MIN_VALUE) >>> this.bucketShift);
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
     * @param siloIds the silos, in any order, none blank; duplicates count once
     * @param virtualNodes the points per silo, at least 1
     * @return the ring
     */
    public static HashRing of(Collection<String> siloIds, int virtualNodes) {
        Objects.requireNonNull(siloIds, "siloIds must not be null");
        if (virtualNodes < 1) {
            throw new IllegalArgumentException("virtualNodes must be at least 1, was " + virtualNodes);
        }
        TreeSet<String> distinct = new TreeSet<>();
        for (String siloId : siloIds) {
            if (siloId == null || siloId.isBlank()) {
                throw new IllegalArgumentException("Silo ids must not be null or blank, was '" + siloId + "' in "
                        + siloIds);
            }
            distinct.add(siloId);
        }
        if (distinct.isEmpty()) {
            return EMPTY;
        }
        List<String> silos = List.copyOf(distinct);
        long size = (long) silos.size() * virtualNodes;
        if (size > MAX_POINTS) {
            throw new IllegalArgumentException(silos.size() + " silos with " + virtualNodes
                    + " virtualNodes each make " + size + " points, more than the " + MAX_POINTS + " a ring holds");
        }
        long[] hashes = new long[(int) size];
        for (int silo = 0, i = 0; silo < silos.size(); silo++) {
            for (int n = 0; n < virtualNodes; n++) {
                hashes[i++] = RingHash.of(silos.get(silo) + "#" + n);
            }
        }
        long[] sorted = hashes.clone();
        Arrays.sort(sorted);
        int distinctPoints = 0;
        for (long hash : sorted) {
            if (distinctPoints == 0 || hash != sorted[distinctPoints - 1]) {
                sorted[distinctPoints++] = hash;
            }
        }
        long[] points = Arrays.copyOf(sorted, distinctPoints);
        int[] owners = new int[distinctPoints];
        Arrays.fill(owners, -1);
        // Silos are numbered in id order and the first to claim a point keeps it, so a point two silos share
        // belongs to the smaller id, on every JVM.
        for (int i = 0; i < hashes.length; i++) {
            int point = Arrays.binarySearch(points, hashes[i]);
            if (owners[point] < 0) {
                owners[point] = i / virtualNodes;
            }
        }
        return new HashRing(points, owners, silos, virtualNodes);
    }

    /**
     * Returns the silo that owns a hash.
     * @param hash a key's {@link RingHash}
     * @return the owning silo's id, {@code null} when the ring is empty
     */
    public @Nullable String ownerOf(long hash) {
        long[] points = this.points;
        if (points.length == 0) {
            return null;
        }
        int best = indexOf(hash);
        long bestDistance = points[best] - hash;
        for (int n = 1; n < PROBES && bestDistance != 0; n++) {
            long probe = probe(hash, n);
            int index = indexOf(probe);
            long distance = points[index] - probe;
            if (Long.compareUnsigned(distance, bestDistance) < 0) {
                best = index;
                bestDistance = distance;
            }
        }
        return this.siloIds[this.owners[best]];
    }

    /**
     * Returns a key's {@code n}th probe: the hash itself for 0, else a SplitMix64 mix of it, so that the
     * probes of one key fall independently of one another and of the probes of other keys.
     * @param hash the key's {@link RingHash}
     * @param n the probe's number, 0 to {@value #PROBES} - 1
     * @return where the probe looks
     */
    static long probe(long hash, int n) {
        if (n == 0) {
            return hash;
        }
        long z = hash + n * GOLDEN;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
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
     * Returns the owner of a hash among the silos that pass a test: for instance those that host its actor
     * type. Keys go where they would on a ring without the silos that fail the test: each probe walks on to
     * the first point of a silo that passes, and the nearest of those wins. The test runs at most once per
     * silo.
     * @param hash a key's {@link RingHash}
     * @param eligible the test
     * @return the owning silo's id, {@code null} when no silo passes
     */
    public @Nullable String ownerOf(long hash, Predicate<String> eligible) {
        long[] points = this.points;
        int length = points.length;
        if (length == 0) {
            return null;
        }
        SiloVerdicts verdicts = new SiloVerdicts(this.siloIds, eligible);
        int best = -1;
        long bestDistance = 0;
        for (int n = 0; n < PROBES; n++) {
            long probe = probe(hash, n);
            int index = indexOf(probe);
            int step = 0;
            while (!verdicts.passes(this.owners[index])) {
                if (verdicts.allFailed() || ++step == length) {
                    return null;
                }
                index = (index + 1 == length) ? 0 : index + 1;
            }
            long distance = points[index] - probe;
            if (best < 0 || Long.compareUnsigned(distance, bestDistance) < 0) {
                best = index;
                bestDistance = distance;
            }
        }
        return this.siloIds[this.owners[best]];
    }

    /** What a test said of each silo, asked at most once per silo. */
    private static final class SiloVerdicts {

        private final String[] siloIds;

        private final Predicate<String> eligible;

        /** Two bits per silo, in two sets of words: asked, and passed. */
        private final long[] asked;

        private final long[] passed;

        private int failed;

        SiloVerdicts(String[] siloIds, Predicate<String> eligible) {
            this.siloIds = siloIds;
            this.eligible = eligible;
            this.asked = new long[(siloIds.length + 63) >>> 6];
            this.passed = new long[this.asked.length];
        }

        boolean passes(int silo) {
            int word = silo >>> 6;
            long bit = 1L << silo;
            if ((this.asked[word] & bit) == 0) {
                this.asked[word] |= bit;
                if (this.eligible.test(this.siloIds[silo])) {
                    this.passed[word] |= bit;
                }
                else {
                    this.failed++;
                }
            }
            return (this.passed[word] & bit) != 0;
        }

        boolean allFailed() {
            return this.failed == this.siloIds.length;
        }
    }

    /** The first point at or after a hash, wrapping around: its bucket's first point, then onwards. */
    private int indexOf(long hash) {
        long[] points = this.points;
        int index = this.buckets[bucketOf(hash)];
        while (index < points.length && points[index] < hash) {
            index++;
        }
        return (index == points.length) ? 0 : index;
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
     * @return one entry per virtual node (fewer only if two points coincide)
     */
    public List<Point> points() {
        List<Point> result = new ArrayList<>(this.points.length);
        for (int i = 0; i < this.points.length; i++) {
            result.add(new Point(this.points[i], this.siloIds[this.owners[i]]));
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
