package dev.quark.cluster.directory;

import java.time.Instant;
import java.util.List;
import java.util.Set;

import dev.quark.cluster.membership.ClusterView;
import dev.quark.cluster.membership.MembershipSnapshot;
import dev.quark.cluster.membership.SiloAddress;
import dev.quark.cluster.membership.SiloEntry;
import dev.quark.cluster.membership.SiloStatus;
import dev.quark.runtime.ActorAddress;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * One silo's share of the directory: register-if-absent, entries of dead or restarted silos, removal by
 * token, hand-over.
 */
class DirectoryPartitionTests {

    private static final Instant NOW = Instant.parse("2026-12-01T10:00:00Z");

    private static final ActorAddress ACTOR = new ActorAddress("Roamer", "r-1");

    private final DirectoryPartition partition = new DirectoryPartition();

    @Test
    void theFirstRegistrationWinsAndLaterOnesLearnIt() {
        ClusterView view = view(entry("a", SiloStatus.ACTIVE, 1), entry("b", SiloStatus.ACTIVE, 1));
        DirectoryEntry first = new DirectoryEntry("a", 1, 10);
        assertThat(this.partition.register(ACTOR, first, view)).isEqualTo(first);
        assertThat(this.partition.register(ACTOR, new DirectoryEntry("b", 1, 20), view)).isEqualTo(first);
        assertThat(this.partition.lookup(ACTOR)).isEqualTo(first);
    }

    @Test
    void theSameSiloRegisteringAgainReplacesItsOwnEntry() {
        ClusterView view = view(entry("a", SiloStatus.ACTIVE, 1));
        this.partition.register(ACTOR, new DirectoryEntry("a", 1, 10), view);
        DirectoryEntry again = new DirectoryEntry("a", 1, 11);
        assertThat(this.partition.register(ACTOR, again, view)).isEqualTo(again);
    }

    @Test
    void anEntryOfADeadOrRestartedSiloCountsAsAbsent() {
        DirectoryEntry old = new DirectoryEntry("a", 1, 10);
        this.partition.register(ACTOR, old, view(entry("a", SiloStatus.ACTIVE, 1), entry("b", SiloStatus.ACTIVE, 1)));
        DirectoryEntry fresh = new DirectoryEntry("b", 1, 20);
        ClusterView restarted = view(entry("a", SiloStatus.ACTIVE, 2), entry("b", SiloStatus.ACTIVE, 1));
        assertThat(this.partition.register(ACTOR, fresh, restarted)).isEqualTo(fresh);
        ClusterView dead = view(entry("a", SiloStatus.ACTIVE, 1), entry("b", SiloStatus.DEAD, 1));
        DirectoryEntry third = new DirectoryEntry("a", 1, 30);
        assertThat(this.partition.register(ACTOR, third, dead)).isEqualTo(third);
    }

    @Test
    void removingDeadSilosDropsOnlyTheirEntries() {
        ClusterView before = view(entry("a", SiloStatus.ACTIVE, 1), entry("b", SiloStatus.ACTIVE, 1));
        this.partition.register(ACTOR, new DirectoryEntry("a", 1, 10), before);
        ActorAddress other = new ActorAddress("Roamer", "r-2");
        this.partition.register(other, new DirectoryEntry("b", 1, 20), before);
        assertThat(this.partition.removeDead(view(entry("a", SiloStatus.DEAD, 1), entry("b", SiloStatus.ACTIVE, 1))))
            .isEqualTo(1);
        assertThat(this.partition.lookup(ACTOR)).isNull();
        assertThat(this.partition.lookup(other)).isNotNull();
        assertThat(this.partition.removeDead(view(entry("b", SiloStatus.ACTIVE, 1)))).isZero();
        assertThat(this.partition.removeDead(view())).isEqualTo(1);
    }

    @Test
    void unregisteringRemovesOnlyTheSameActivation() {
        ClusterView view = view(entry("a", SiloStatus.ACTIVE, 1));
        DirectoryEntry newer = new DirectoryEntry("a", 1, 11);
        this.partition.register(ACTOR, newer, view);
        assertThat(this.partition.unregister(ACTOR, new DirectoryEntry("a", 1, 10))).isFalse();
        assertThat(this.partition.lookup(ACTOR)).isEqualTo(newer);
        assertThat(this.partition.unregister(ACTOR, newer)).isTrue();
        assertThat(this.partition.size()).isZero();
    }

    @Test
    void adoptingKeepsALiveEntryAndIgnoresADeadOne() {
        ClusterView view = view(entry("a", SiloStatus.ACTIVE, 1), entry("b", SiloStatus.ACTIVE, 1));
        DirectoryEntry live = new DirectoryEntry("a", 1, 10);
        this.partition.register(ACTOR, live, view);
        assertThat(this.partition.adopt(ACTOR, new DirectoryEntry("b", 1, 20), view)).isEqualTo(live);
        ActorAddress other = new ActorAddress("Roamer", "r-2");
        assertThat(this.partition.adopt(other, new DirectoryEntry("c", 1, 30), view)).isNull();
        assertThat(this.partition.adopt(other, new DirectoryEntry("b", 1, 31), view))
            .isEqualTo(new DirectoryEntry("b", 1, 31));
    }

    @Test
    void entriesOfLostRangesAreTakenOut() {
        ClusterView view = view(entry("a", SiloStatus.ACTIVE, 1));
        this.partition.register(ACTOR, new DirectoryEntry("a", 1, 10), view);
        this.partition.register(new ActorAddress("Roamer", "keep"), new DirectoryEntry("a", 1, 11), view);
        var lost = this.partition.removeWhere((address) -> address.equals(ACTOR));
        assertThat(lost).hasSize(1);
        assertThat(lost.getFirst().getKey()).isEqualTo(ACTOR);
        assertThat(this.partition.size()).isEqualTo(1);
    }

    @Test
    void requestsAndAnswersRoundTrip() {
        DirectoryEntry entry = new DirectoryEntry("silo-3", 7, 42);
        for (DirectoryRequest.Operation operation : DirectoryRequest.Operation.values()) {
            DirectoryRequest request = new DirectoryRequest(operation,
                    (operation == DirectoryRequest.Operation.LOOKUP) ? null : entry);
            assertThat(DirectoryRequest.decode(request.encode())).isEqualTo(request);
        }
        assertThat(DirectoryRequest.decodeAnswer(DirectoryRequest.encodeAnswer(entry))).isEqualTo(entry);
        assertThat(DirectoryRequest.decodeAnswer(DirectoryRequest.encodeAnswer(null))).isNull();
    }

    @Test
    void malformedPayloadsAreRefusedWithAClearError() {
        assertThatIllegalArgumentException().isThrownBy(() -> DirectoryRequest.decode(new byte[] { 0, 3, 'X' }))
            .withMessageStartingWith("Malformed directory request of 3 bytes");
        assertThatIllegalArgumentException().isThrownBy(() -> DirectoryRequest.decodeAnswer(new byte[] { 1 }))
            .withMessageStartingWith("Malformed directory answer of 1 bytes");
        assertThatIllegalArgumentException()
            .isThrownBy(() -> new DirectoryRequest(DirectoryRequest.Operation.REGISTER, null))
            .withMessage("A directory REGISTER needs an entry");
        assertThatIllegalArgumentException().isThrownBy(() -> new DirectoryEntry(" ", 1, 1))
            .withMessage("Silo id of a directory entry must not be blank");
    }

    private static SiloEntry entry(String siloId, SiloStatus status, long epoch) {
        return new SiloEntry(siloId, new SiloAddress("127.0.0.1", 1), NOW, status, NOW, epoch, Set.of("Roamer"),
                List.of());
    }

    private static ClusterView view(SiloEntry... entries) {
        return ClusterView.of(MembershipSnapshot.of(1, List.of(entries)), 10);
    }
}
