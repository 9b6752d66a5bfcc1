package dev.quark.cluster.ring;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.quark.runtime.ActorAddress;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * How the ring spreads keys and what moves when a silo joins, over a million actor addresses and 150 points per
 * silo. The ring is deterministic, so each figure is one fixed number; the bounds say what any sound hash
 * gives, with the reasoning beside each, so that a broken hash fails and another sound one would pass. The
 * benchmark ({@code benchmarks/run.sh --only ring}) measures the same figures over ten sets of silo ids.
 */
class HashRingDistributionTests {

    private static final int KEYS = 1_000_000;

    private static final int VIRTUAL_NODES = 150;

    private static long[] keys;

    @BeforeAll
    static void hashKeys() {
        keys = new long[KEYS];
        for (int i = 0; i < KEYS; i++) {
            keys[i] = RingHash.of(new ActorAddress("Account", "account-" + i));
        }
    }

    /**
     * With one probe, a silo's share of the ring would be the sum of the arcs before its 150 points: a
     * Beta(150, 150 (n - 1)) variable whose standard deviation is about 1/sqrt(150), 8 %, of the mean, so the
     * busiest of 10 or 100 silos would carry 1.12 or 1.21 times the mean (medians over a thousand random
     * rings). Looking each key up at six probes and taking the nearest point evens the arcs out: over ten sets
     * of silo ids the busiest carried at most 1.045, 1.054 and 1.085 times the mean for 3, 10 and 100 silos
     * (a million keys add about 2 % of sampling spread at 100 silos). Issue 10's goal is 1.10 at 150 points.
     */
    @ParameterizedTest
    @CsvSource({ "3, 1.10", "10, 1.10", "100, 1.10" })
    void theBusiestSiloCarriesAtMostBoundTimesTheMeanLoad(int silos, double bound) {
        List<String> ids = siloIds(silos);
        HashRing ring = HashRing.of(ids, VIRTUAL_NODES);
        Map<String, int[]> load = new HashMap<>();
        ids.forEach((id) -> load.put(id, new int[1]));
        for (long key : keys) {
            load.get(ring.ownerOf(key))[0]++;
        }
        int max = load.values().stream().mapToInt((count) -> count[0]).max().orElseThrow();
        assertThat(max / ((double) KEYS / silos)).isLessThanOrEqualTo(bound);
    }

    /**
     * The keys that move are those in the arcs the new silo's points split off, its share of the new ring: a
     * Beta(150, 450) variable with mean 0.25 and standard deviation sqrt(3 / (16 (4 * 150 + 1))) = 0.018;
     * sampling a million keys adds 0.0004. 0.25 ± 0.05 is 2.8 standard deviations, which 99.5 % of random
     * rings meet and a hash that bunches points does not.
     */
    @Test
    void aFourthSiloTakesAQuarterOfTheKeysAndOnlyKeysMoveToIt() {
        List<String> silos = siloIds(4);
        HashRing before = HashRing.of(silos.subList(0, 3), VIRTUAL_NODES);
        HashRing after = HashRing.of(silos, VIRTUAL_NODES);
        int moved = 0;
        int movedBetweenOldSilos = 0;
        for (long key : keys) {
            String owner = after.ownerOf(key);
            if (!owner.equals(before.ownerOf(key))) {
                moved++;
                if (!owner.equals(silos.get(3))) {
                    movedBetweenOldSilos++;
                }
            }
        }
        assertThat(movedBetweenOldSilos).isZero();
        assertThat(moved / (double) KEYS).isBetween(0.20, 0.30);
    }

    @Test
    void aSiloThatLeavesGivesItsKeysAwayAndNoOtherKeyMoves() {
        List<String> silos = siloIds(4);
        HashRing before = HashRing.of(silos, VIRTUAL_NODES);
        HashRing after = HashRing.of(silos.subList(1, 4), VIRTUAL_NODES);
        for (int i = 0; i < KEYS; i += 7) {
            String owner = before.ownerOf(keys[i]);
            if (!owner.equals(silos.get(0))) {
                assertThat(after.ownerOf(keys[i])).isEqualTo(owner);
            }
        }
    }

    private static List<String> siloIds(int count) {
        List<String> ids = new ArrayList<>(count);
        for (int i = 1; i <= count; i++) {
            ids.add("silo-" + i);
        }
        return ids;
    }
}
