package dev.quark.cluster.ring;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;

import dev.quark.cluster.ring.HashRing.Point;
import dev.quark.runtime.ActorAddress;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class HashRingTests {

    private final HashRing ring = HashRing.of(List.of("silo-a", "silo-b", "silo-c"), 150);

    @Test
    void theOrderOfTheIdsDoesNotMatter() {
        HashRing shuffled = HashRing.of(List.of("silo-c", "silo-a", "silo-b", "silo-a"), 150);
        assertThat(shuffled.points()).isEqualTo(this.ring.points());
        assertThat(shuffled.silos()).containsExactly("silo-a", "silo-b", "silo-c");
        for (int i = 0; i < 1_000; i++) {
            long hash = RingHash.of("key-" + i);
            assertThat(shuffled.ownerOf(hash)).isEqualTo(this.ring.ownerOf(hash));
        }
    }

    @Test
    void everySiloHasItsVirtualNodesInRingOrder() {
        List<Point> points = this.ring.points();
        assertThat(points).hasSize(450);
        assertThat(points).filteredOn((point) -> point.siloId().equals("silo-b")).hasSize(150);
        assertThat(points).extracting(Point::hash).isSorted();
        assertThat(points).contains(new Point(RingHash.of("silo-b#0"), "silo-b"),
                new Point(RingHash.of("silo-b#149"), "silo-b"));
        assertThat(this.ring.virtualNodes()).isEqualTo(150);
    }

    @Test
    void aKeyAtAPointBelongsToThatPointsSilo() {
        for (Point point : this.ring.points()) {
            assertThat(this.ring.ownerOf(point.hash())).isEqualTo(point.siloId());
        }
    }

    @Test
    void lookupsAgreeWithABinarySearchForEachProbe() {
        List<String> hundred = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            hundred.add("silo-" + i);
        }
        Random random = new Random(7);
        for (HashRing ring : List.of(HashRing.of(List.of("silo-a"), 1), HashRing.of(List.of("silo-a", "silo-b"), 1),
                HashRing.of(List.of("silo-a", "silo-b", "silo-c"), 7), this.ring, HashRing.of(hundred, 150))) {
            List<Long> hashes = new ArrayList<>(List.of(Long.MIN_VALUE, Long.MIN_VALUE + 1, -1L, 0L, 1L,
                    Long.MAX_VALUE - 1, Long.MAX_VALUE));
            for (Point point : ring.points()) {
                hashes.addAll(List.of(point.hash() - 1, point.hash(), point.hash() + 1));
            }
            for (int i = 0; i < 10_000; i++) {
                hashes.add(random.nextLong());
            }
            List<Point> points = ring.points();
            long[] sorted = points.stream().mapToLong(Point::hash).toArray();
            for (long hash : hashes) {
                assertThat(ring.ownerOf(hash)).as("owner of %d in %s", hash, ring)
                    .isEqualTo(nearestAfterAProbe(points, sorted, hash));
            }
        }
    }

    @Test
    void aProbePastTheLastPointWrapsAroundToTheFirst() {
        List<Point> points = this.ring.points();
        Point first = points.getFirst();
        Point last = points.getLast();
        assertThat(last.hash()).isLessThan(Long.MAX_VALUE);
        for (long hash : new long[] { last.hash() + 1, Long.MAX_VALUE, Long.MIN_VALUE, first.hash() - 1 }) {
            assertThat(this.ring.ownerOf(hash)).isEqualTo(nearestAfterAProbe(points, hash));
        }
        HashRing single = HashRing.of(List.of("silo-a"), 1);
        assertThat(single.ownerOf(single.points().getFirst().hash() + 1)).isEqualTo("silo-a");
    }

    @Test
    void probesAreTheHashThenIndependentMixesOfIt() {
        assertThat(HashRing.probe(42L, 0)).isEqualTo(42L);
        List<Long> probes = new ArrayList<>();
        for (int n = 0; n < HashRing.PROBES; n++) {
            probes.add(HashRing.probe(42L, n));
        }
        assertThat(probes).doesNotHaveDuplicates();
        // Pinned: the probes are part of the wire contract, like RingHash; a change must fail here, not split
        // a cluster that runs two versions.
        assertThat(HashRing.probe(0L, 1)).isEqualTo(-2152535657050944081L);
        assertThat(HashRing.probe(RingHash.of(new ActorAddress("Account", "account-1")), 5)).isEqualTo(8928526335624981031L);
    }

    @Test
    void anAddressIsLookedUpByItsRingHash() {
        ActorAddress address = new ActorAddress("Account", "account-42");
        assertThat(this.ring.ownerOf(address)).isEqualTo(this.ring.ownerOf(RingHash.of(address))).isNotNull();
    }

    @Test
    void theEmptyRingOwnsNothing() {
        assertThat(HashRing.empty().ownerOf(42L)).isNull();
        assertThat(HashRing.empty().ownerOf(new ActorAddress("Account", "account-42"))).isNull();
        assertThat(HashRing.empty().ownerOf(42L, (silo) -> true)).isNull();
        assertThat(HashRing.empty().silos()).isEmpty();
        assertThat(HashRing.empty().points()).isEmpty();
        assertThat(HashRing.of(List.of(), 150)).isSameAs(HashRing.empty());
    }

    @Test
    void keysGoWhereTheyWouldOnARingWithoutTheIneligibleSilos() {
        HashRing withoutB = HashRing.of(List.of("silo-a", "silo-c"), 150);
        Random random = new Random(11);
        List<Long> hashes = new ArrayList<>();
        for (Point point : this.ring.points()) {
            hashes.add(point.hash());
        }
        for (int i = 0; i < 10_000; i++) {
            hashes.add(random.nextLong());
        }
        for (long hash : hashes) {
            assertThat(this.ring.ownerOf(hash, (silo) -> !silo.equals("silo-b"))).isEqualTo(withoutB.ownerOf(hash));
            assertThat(this.ring.ownerOf(hash, (silo) -> true)).isEqualTo(this.ring.ownerOf(hash));
        }
    }

    @Test
    void theWalkWrapsAroundToAnEligibleSilo() {
        Point last = this.ring.points().getLast();
        String onlyEligible = last.siloId().equals("silo-a") ? "silo-b" : "silo-a";
        assertThat(this.ring.ownerOf(last.hash(), onlyEligible::equals)).isEqualTo(onlyEligible);
        assertThat(this.ring.ownerOf(Long.MAX_VALUE, onlyEligible::equals)).isEqualTo(onlyEligible);
    }

    @Test
    void noEligibleSiloOwnsNothingAndEachSiloIsTestedOnce() {
        List<String> tested = new ArrayList<>();
        assertThat(this.ring.ownerOf(RingHash.of("key"), (silo) -> !tested.add(silo))).isNull();
        assertThat(tested).containsExactlyInAnyOrder("silo-a", "silo-b", "silo-c");
    }

    @Test
    void eachSiloIsTestedAtMostOnceOnTheWayToAnEligibleOne() {
        List<String> silos = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            silos.add("silo-" + i);
        }
        HashRing large = HashRing.of(silos, 150);
        for (int key = 0; key < 100; key++) {
            List<String> tested = new ArrayList<>();
            String owner = large.ownerOf(RingHash.of("key-" + key),
                    (silo) -> tested.add(silo) && silo.equals("silo-7"));
            assertThat(owner).isEqualTo("silo-7");
            assertThat(tested).doesNotHaveDuplicates().contains("silo-7");
        }
    }

    /**
     * The owner by definition: for each probe, the first point at or after it (wrapping around), and of those
     * the nearest, an earlier probe winning a tie.
     */
    private static String nearestAfterAProbe(List<Point> points, long hash) {
        return nearestAfterAProbe(points, points.stream().mapToLong(Point::hash).toArray(), hash);
    }

    private static String nearestAfterAProbe(List<Point> points, long[] sorted, long hash) {
        String owner = null;
        long best = 0;
        for (int n = 0; n < HashRing.PROBES; n++) {
            long probe = HashRing.probe(hash, n);
            int index = Arrays.binarySearch(sorted, probe);
            index = (index >= 0) ? index : -index - 1;
            index = (index == sorted.length) ? 0 : index;
            long distance = sorted[index] - probe;
            if (owner == null || Long.compareUnsigned(distance, best) < 0) {
                owner = points.get(index).siloId();
                best = distance;
            }
        }
        return owner;
    }

    @Test
    void lessThanOneVirtualNodeIsRejected() {
        assertThatIllegalArgumentException().isThrownBy(() -> HashRing.of(List.of("silo-a"), 0))
            .withMessage("virtualNodes must be at least 1, was 0");
        assertThatIllegalArgumentException().isThrownBy(() -> HashRing.of(List.of("silo-a"), -5))
            .withMessage("virtualNodes must be at least 1, was -5");
    }

    @Test
    void blankSiloIdsAreRejected() {
        assertThatIllegalArgumentException().isThrownBy(() -> HashRing.of(List.of("silo-a", " "), 150))
            .withMessage("Silo ids must not be null or blank, was ' ' in [silo-a,  ]");
    }

    @Test
    void aRingTooLargeForAnArrayIsRejected() {
        assertThatIllegalArgumentException().isThrownBy(() -> HashRing.of(Set.of("silo-a", "silo-b"), 1 << 30))
            .withMessage("2 silos with 1073741824 virtualNodes each make 2147483648 points, more than the 16777216 "
                    + "a ring holds");
    }

    @Test
    void oneVirtualNodeGivesEachSiloOnePoint() {
        HashRing single = HashRing.of(List.of("silo-a", "silo-b"), 1);
        assertThat(single.points()).containsExactlyInAnyOrder(new Point(RingHash.of("silo-a#0"), "silo-a"),
                new Point(RingHash.of("silo-b#0"), "silo-b"));
        assertThat(single).hasToString("HashRing[silo-a, silo-b] x1");
    }
}
