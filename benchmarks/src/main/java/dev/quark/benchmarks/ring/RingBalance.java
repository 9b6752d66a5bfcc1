package dev.quark.benchmarks.ring;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;

import dev.quark.benchmarks.Workloads;
import dev.quark.benchmarks.harness.Figure;
import dev.quark.benchmarks.harness.Stats;
import dev.quark.cluster.ring.HashRing;
import dev.quark.cluster.ring.RingHash;
import dev.quark.runtime.ActorAddress;

/**
 * How evenly the hash ring spreads {@value #KEYS} actor addresses over its silos, and how many of them move
 * when a fourth silo joins three. Both depend on where the silos' points fall, so each figure is measured
 * on {@value #ID_SETS} sets of random silo ids (UUIDs, as generated ids would be) and reported as the
 * median with the min–max over the sets. Deterministic: the same sets and keys on every run.
 */
public final class RingBalance {

    /** Keys hashed onto every ring. */
    public static final int KEYS = 1_000_000;

    /** Sets of silo ids each figure is measured on. */
    public static final int ID_SETS = 10;

    /** The default number of points per silo. */
    public static final int VIRTUAL_NODES = 150;

    /** Silo counts whose balance is measured with {@value #VIRTUAL_NODES} points per silo. */
    public static final int[] SILO_COUNTS = { 3, 10, 100 };

    /** Points per silo tried for 100 silos, to show what the spread costs in points. */
    public static final int[] MORE_VIRTUAL_NODES = { 600, 1000 };

    private RingBalance() {
    }

    /**
     * The address of the {@code n}th key: one actor type, ids as an application would number them.
     * @param n the key's number
     * @return its address
     */
    public static ActorAddress address(int n) {
        return new ActorAddress("Account", "account-" + n);
    }

    /**
     * Measures the figures: {@code ring.balance.<silos>} for each silo count, {@code
     * ring.balance.100.v<points>} with more points, {@code ring.moved} and {@code ring.moved.between-old}.
     * @return the figures, contender {@code quark}
     */
    public static List<Figure> run() {
        long[] keys = new long[KEYS];
        for (int i = 0; i < KEYS; i++) {
            keys[i] = RingHash.of(address(i));
        }
        List<Figure> figures = new ArrayList<>();
        for (int silos : SILO_COUNTS) {
            figures.add(balance("ring.balance." + silos, keys, silos, VIRTUAL_NODES));
        }
        for (int points : MORE_VIRTUAL_NODES) {
            figures.add(balance("ring.balance.100.v" + points, keys, 100, points));
        }
        figures.addAll(moved(keys));
        return figures;
    }

    private static Figure balance(String key, long[] keys, int silos, int virtualNodes) {
        double[] maxOverMean = new double[ID_SETS];
        for (int set = 0; set < ID_SETS; set++) {
            List<String> ids = siloIds(set, silos);
            Map<String, int[]> load = new HashMap<>();
            ids.forEach((id) -> load.put(id, new int[1]));
            HashRing ring = HashRing.of(ids, virtualNodes);
            for (long hash : keys) {
                load.get(ring.ownerOf(hash))[0]++;
            }
            int max = load.values().stream().mapToInt((count) -> count[0]).max().orElseThrow();
            maxOverMean[set] = max / ((double) keys.length / silos);
        }
        Stats stats = Stats.of(maxOverMean);
        Workloads.progress("quark", "%d silos, %d points each: max/mean load %.3f (%.3f–%.3f)", silos, virtualNodes,
                stats.median(), stats.min(), stats.max());
        return new Figure(key, "quark", stats);
    }

    private static List<Figure> moved(long[] keys) {
        double[] fractions = new double[ID_SETS];
        double[] betweenOld = new double[ID_SETS];
        for (int set = 0; set < ID_SETS; set++) {
            List<String> ids = siloIds(set, 4);
            HashRing before = HashRing.of(ids.subList(0, 3), VIRTUAL_NODES);
            HashRing after = HashRing.of(ids, VIRTUAL_NODES);
            String joined = ids.get(3);
            int moved = 0;
            int elsewhere = 0;
            for (long hash : keys) {
                String owner = after.ownerOf(hash);
                if (!owner.equals(before.ownerOf(hash))) {
                    moved++;
                    if (!owner.equals(joined)) {
                        elsewhere++;
                    }
                }
            }
            fractions[set] = moved / (double) keys.length;
            betweenOld[set] = elsewhere;
        }
        Stats stats = Stats.of(fractions);
        Workloads.progress("quark", "a 4th silo joins 3: %.4f (%.4f–%.4f) of the keys move, at most %.0f between "
                + "old silos", stats.median(), stats.min(), stats.max(), Stats.of(betweenOld).max());
        return List.of(new Figure("ring.moved", "quark", stats),
                new Figure("ring.moved.between-old", "quark", Stats.of(betweenOld)));
    }

    private static List<String> siloIds(int set, int count) {
        Random random = new Random(set);
        List<String> ids = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            ids.add(new UUID(random.nextLong(), random.nextLong()).toString());
        }
        return ids;
    }
}
