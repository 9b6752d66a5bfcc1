package dev.quark.autoconfigure.cluster;

import java.util.List;
import java.util.stream.IntStream;

import dev.quark.cluster.ring.HashRing;
import dev.quark.reminder.ReminderBucketSet;
import dev.quark.reminder.ReminderBuckets;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class RingReminderOwnershipTests {

    @Test
    void theSilosOfARingShareEveryBucketWithoutOverlap() {
        HashRing ring = HashRing.of(List.of("a", "b", "c"), 150);
        List<ReminderBucketSet> owned = List.of(RingReminderOwnership.bucketsOf("a", ring),
                RingReminderOwnership.bucketsOf("b", ring), RingReminderOwnership.bucketsOf("c", ring));
        assertThat(owned.stream().mapToInt(ReminderBucketSet::size).sum()).isEqualTo(ReminderBuckets.COUNT);
        IntStream.range(0, ReminderBuckets.COUNT)
            .forEach((bucket) -> assertThat(owned.stream().filter((set) -> set.contains(bucket))).hasSize(1));
        assertThat(owned).allSatisfy((set) -> assertThat(set.size()).isGreaterThan(ReminderBuckets.COUNT / 6));
    }

    @Test
    void aSiloOutsideTheRingOwnsNoBucket() {
        assertThat(RingReminderOwnership.bucketsOf("z", HashRing.of(List.of("a"), 150)).isEmpty()).isTrue();
        assertThat(RingReminderOwnership.bucketsOf("a", HashRing.empty()).isEmpty()).isTrue();
    }
}
