package dev.quark.cluster.membership;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ProbeTargetsTests {

    private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

    @Test
    void everySiloIsProbedByAsManySilosAsEachProbes() {
        MembershipSnapshot table = table(10, SiloStatus.ACTIVE);
        Map<String, Integer> probedBy = new HashMap<>();

        for (String silo : table.silos().keySet()) {
            List<SiloEntry> targets = ProbeTargets.of(table, silo, 3);
            assertThat(targets).hasSize(3).extracting(SiloEntry::siloId).doesNotContain(silo).doesNotHaveDuplicates();
            targets.forEach((target) -> probedBy.merge(target.siloId(), 1, Integer::sum));
        }

        assertThat(probedBy).hasSize(10).allSatisfy((silo, count) -> assertThat(count).isEqualTo(3));
    }

    @Test
    void inASmallClusterEverySiloProbesAllOthers() {
        MembershipSnapshot table = table(3, SiloStatus.ACTIVE);

        assertThat(ProbeTargets.of(table, "silo-0", 3)).extracting(SiloEntry::siloId)
            .containsExactlyInAnyOrder("silo-1", "silo-2");
    }

    @Test
    void everySiloComputesTheSameTargetsWhateverTheTableOrder() {
        MembershipSnapshot table = table(6, SiloStatus.ACTIVE);
        List<SiloEntry> reversed = new ArrayList<>(table.silos().values());
        java.util.Collections.reverse(reversed);

        assertThat(ProbeTargets.of(MembershipSnapshot.of(7, reversed), "silo-2", 2))
            .isEqualTo(ProbeTargets.of(table, "silo-2", 2));
    }

    @Test
    void onlySilosThatTakeCallsAreProbed() {
        List<SiloEntry> entries = new ArrayList<>(table(2, SiloStatus.ACTIVE).silos().values());
        entries.add(entry("joining", SiloStatus.JOINING));
        entries.add(entry("leaving", SiloStatus.SHUTTING_DOWN));
        entries.add(entry("dead", SiloStatus.DEAD));
        MembershipSnapshot table = MembershipSnapshot.of(5, entries);

        assertThat(ProbeTargets.of(table, "silo-0", 10)).extracting(SiloEntry::siloId)
            .containsExactlyInAnyOrder("silo-1", "leaving");
    }

    @Test
    void indirectProbesGoThroughAnotherActiveSiloAndRotate() {
        MembershipSnapshot table = table(4, SiloStatus.ACTIVE);
        SiloEntry target = table.silo("silo-3").orElseThrow();

        SiloEntry first = ProbeTargets.intermediary(table, "silo-0", target, 0);
        SiloEntry second = ProbeTargets.intermediary(table, "silo-0", target, 1);

        assertThat(first).isNotNull();
        assertThat(second).isNotNull();
        assertThat(Set.of(first.siloId(), second.siloId())).hasSize(2).doesNotContain("silo-0", "silo-3");
    }

    @Test
    void aClusterOfTwoHasNoIntermediary() {
        MembershipSnapshot table = table(2, SiloStatus.ACTIVE);

        assertThat(ProbeTargets.intermediary(table, "silo-0", table.silo("silo-1").orElseThrow(), 0)).isNull();
    }

    private static MembershipSnapshot table(int silos, SiloStatus status) {
        List<SiloEntry> entries = new ArrayList<>();
        for (int i = 0; i < silos; i++) {
            entries.add(entry("silo-" + i, status));
        }
        return MembershipSnapshot.of(silos, entries);
    }

    private static SiloEntry entry(String siloId, SiloStatus status) {
        return new SiloEntry(siloId, new SiloAddress("127.0.0.1", 0), NOW, status, NOW, 1, Set.of(), List.of());
    }
}
