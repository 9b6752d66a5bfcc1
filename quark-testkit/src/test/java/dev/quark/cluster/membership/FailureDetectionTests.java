package dev.quark.cluster.membership;

import java.time.Duration;
import java.util.List;

import dev.quark.cluster.membership.MembershipCluster.Member;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Probes, indirect probes, votes and heartbeat expiry, in virtual time with the default timings: probes every
 * second, 3 misses, then an indirect probe, then a vote.
 */
class FailureDetectionTests {

    @AutoClose
    private final MembershipCluster cluster = new MembershipCluster();

    @Test
    void aKilledSiloIsSuspectedVotedDeadAndEvictedWithinTheMissedProbes() {
        for (String silo : List.of("a", "b", "c", "d")) {
            this.cluster.start(silo);
        }

        this.cluster.kill("d");
        this.cluster.advance(Duration.ofSeconds(2));
        assertThat(this.cluster.statusSeenBy("a", "d")).as("two misses are not enough").isEqualTo(SiloStatus.ACTIVE);
        this.cluster.advance(Duration.ofSeconds(1));

        for (String survivor : List.of("a", "b", "c")) {
            assertThat(this.cluster.statusSeenBy(survivor, "d")).isEqualTo(SiloStatus.DEAD);
            assertThat(this.cluster.member(survivor).agent().current().ring().silos()).containsExactly("a", "b", "c");
        }
        SiloEntry dead = this.cluster.table.read().silo("d").orElseThrow();
        assertThat(dead.suspicions()).extracting(Suspicion::suspectingSiloId).hasSize(2).doesNotHaveDuplicates();
        assertThat(this.cluster.network.indirectProbes()).isPositive();
        assertThat(this.cluster.running().stream().flatMap((member) -> member.metrics().declaredDead.stream()))
            .containsExactly("d:VOTES");
        assertThat(this.cluster.running().stream().mapToInt((member) -> member.metrics().suspected.size()).sum())
            .isEqualTo(2);
    }

    @Test
    void aSiloWhoseProbesRunIntoTheirTimeoutsIsEvictedWithinTheWorstCaseOfSixSeconds() {
        this.cluster.network.failAfterTimeout(this.cluster.scheduler, this.cluster.clock);
        for (String silo : List.of("a", "b", "c", "d")) {
            this.cluster.start(silo);
        }

        this.cluster.kill("d");
        this.cluster.advance(Duration.ofMillis(5999));
        assertThat(this.cluster.statusSeenBy("a", "d")).isEqualTo(SiloStatus.ACTIVE);
        this.cluster.advance(Duration.ofMillis(1));

        assertThat(this.cluster.statusSeenBy("a", "d")).as("3 × 1 s probes + 1 s timeout + 2 s indirect probe")
            .isEqualTo(SiloStatus.DEAD);
    }

    @Test
    void probesWhoseStagesNeverCompleteCountAsMissedAnIntervalAfterTheirTimeout() {
        for (String silo : List.of("a", "b", "c")) {
            this.cluster.start(silo);
        }

        this.cluster.network.hang("c");
        this.cluster.member("c").agent().halt();
        this.cluster.advance(Duration.ofMillis(7999));
        assertThat(this.cluster.statusSeenBy("a", "c")).isEqualTo(SiloStatus.ACTIVE);
        this.cluster.advance(Duration.ofMillis(1));

        assertThat(this.cluster.statusSeenBy("a", "c")).as("misses at 3, 4, 5 s; indirect probe given up at 8 s")
            .isEqualTo(SiloStatus.DEAD);
    }

    @Test
    void inAClusterOfThreeBothOthersMustVote() {
        this.cluster.start("a");
        this.cluster.start("b");
        this.cluster.start("c");

        this.cluster.kill("c");
        this.cluster.advance(Duration.ofSeconds(3));

        assertThat(this.cluster.table.read().silo("c").orElseThrow().suspicions())
            .extracting(Suspicion::suspectingSiloId)
            .containsExactlyInAnyOrder("a", "b");
        assertThat(this.cluster.statusSeenBy("a", "c")).isEqualTo(SiloStatus.DEAD);
    }

    @Test
    void inAClusterOfTwoOneVoteDeclaresDead() {
        Member a = this.cluster.start("a");
        this.cluster.start("b");

        this.cluster.kill("b");
        this.cluster.advance(Duration.ofSeconds(3));

        SiloEntry dead = this.cluster.table.read().silo("b").orElseThrow();
        assertThat(dead.status()).isEqualTo(SiloStatus.DEAD);
        assertThat(dead.suspicions()).extracting(Suspicion::suspectingSiloId).containsExactly("a");
        assertThat(a.agent().current().ring().silos()).containsExactly("a");
        assertThat(a.agent().isServing()).isTrue();
    }

    @Test
    void aSiloThatMissesAFewProbesIsNotSuspected() {
        for (String silo : List.of("a", "b", "c")) {
            this.cluster.start(silo);
        }

        this.cluster.network.down("c");
        this.cluster.advance(Duration.ofSeconds(2));
        this.cluster.network.up("c");
        this.cluster.advance(Duration.ofMinutes(1));

        assertThat(this.cluster.statusSeenBy("a", "c")).isEqualTo(SiloStatus.ACTIVE);
        assertThat(this.cluster.table.read().silo("c").orElseThrow().suspicions()).isEmpty();
        assertThat(this.cluster.network.indirectProbes()).isZero();
    }

    /**
     * A silo unreachable for a few seconds misses three probes, and an indirect probe of it goes out; it is
     * reachable again before that probe runs into its timeout, and answers the next direct probes. The late
     * failure of the indirect probe is stale and must not count as a vote.
     */
    @Test
    void anIndirectProbeThatFailsAfterThePeerAnsweredAgainCastsNoVote() {
        this.cluster.network.failAfterTimeout(this.cluster.scheduler, this.cluster.clock);
        for (String silo : List.of("a", "b", "c")) {
            this.cluster.start(silo);
        }
        this.cluster.advance(Duration.ofMillis(500));

        this.cluster.network.down("c");
        this.cluster.advance(Duration.ofMillis(4000));
        assertThat(this.cluster.network.indirectProbes()).as("3 misses at 4 s: indirect probes out until 6 s")
            .isPositive();
        this.cluster.network.up("c");
        this.cluster.advance(Duration.ofMillis(2700));

        assertThat(this.cluster.running().stream().flatMap((member) -> member.metrics().suspected.stream())).isEmpty();
        assertThat(this.cluster.table.read().silos().values())
            .allSatisfy((entry) -> assertThat(entry.suspicions()).isEmpty())
            .allSatisfy((entry) -> assertThat(entry.status()).isEqualTo(SiloStatus.ACTIVE));
        assertThat(this.cluster.member("c").events().names()).containsExactly("joined");
    }

    @Test
    void aSiloThatMissesDirectProbesButAnswersIndirectlyIsNotEvicted() {
        for (String silo : List.of("a", "b", "c")) {
            this.cluster.start(silo);
        }

        this.cluster.network.cut("a", "c");
        this.cluster.advance(Duration.ofMinutes(1));

        for (String observer : List.of("a", "b", "c")) {
            assertThat(this.cluster.member(observer).agent().current().ring().silos()).containsExactly("a", "b", "c");
        }
        assertThat(this.cluster.table.read().silos().values())
            .allSatisfy((entry) -> assertThat(entry.suspicions()).isEmpty());
        assertThat(this.cluster.member("a").metrics().probesMissed.get()).isPositive();
        assertThat(this.cluster.network.indirectProbes()).isPositive();
        assertThat(this.cluster.running()).allSatisfy((member) -> assertThat(member.agent().isServing()).isTrue());
    }

    @Test
    void aSiloCutOffFromEveryPeerIsVotedDeadAndLearnsItAtOnceThroughTheTable() {
        this.cluster.start("a");
        this.cluster.start("b");
        Member c = this.cluster.start("c");
        long firstEpoch = c.agent().epoch();

        this.cluster.network.cut("a", "c");
        this.cluster.network.cut("b", "c");
        this.cluster.advance(Duration.ofSeconds(3));

        assertThat(List.of("a", "b")
            .stream()
            .flatMap((silo) -> this.cluster.member(silo).metrics().declaredDead.stream())).containsExactly("c:VOTES");
        assertThat(c.events().names()).containsExactly("joined", "fenced:DECLARED_DEAD", "declaredDead:" + firstEpoch);

        // It cannot rejoin while none of the active silos answers it (and they renew their entries): it stays out
        // of every ring, its attempts joining or dead.
        this.cluster.advance(Duration.ofSeconds(30));
        assertThat(c.agent().state()).isEqualTo(MembershipState.REJOINING);
        assertThat(c.events().names()).doesNotContain("rejoined");
        assertThat(this.cluster.member("a").agent().current().ring().silos()).containsExactly("a", "b");
        assertThat(this.cluster.table.read().silo("c").orElseThrow().status()).isIn(SiloStatus.DEAD,
                SiloStatus.JOINING);
        this.cluster.advance(Duration.ofSeconds(30));
        assertThat(c.events().names()).doesNotContain("rejoined");
        assertThat(this.cluster.member("a").agent().current().ring().silos()).containsExactly("a", "b");

        this.cluster.network.heal("a", "c");
        this.cluster.network.heal("b", "c");
        this.cluster.advance(Duration.ofSeconds(10));
        assertThat(c.events().names()).containsExactly("joined", "fenced:DECLARED_DEAD", "declaredDead:" + firstEpoch,
                "rejoined");
        assertThat(c.agent().epoch()).isGreaterThan(firstEpoch);
        assertThat(this.cluster.member("a").agent().current().silo("c").orElseThrow().epoch())
            .isEqualTo(c.agent().epoch());
    }

    @Test
    void aSiloWhoseHeartbeatExpiredIsDeclaredDeadEvenIfItAnswersProbes() {
        this.cluster.start("a");
        this.cluster.start("b");
        Member c = this.cluster.start("c");

        c.agent().halt();
        this.cluster.advance(Duration.ofSeconds(30));
        assertThat(this.cluster.statusSeenBy("a", "c")).isEqualTo(SiloStatus.ACTIVE);
        this.cluster.advance(Duration.ofSeconds(1));

        assertThat(this.cluster.statusSeenBy("a", "c")).isEqualTo(SiloStatus.DEAD);
        assertThat(this.cluster.statusSeenBy("b", "c")).isEqualTo(SiloStatus.DEAD);
        assertThat(this.cluster.running().stream().flatMap((member) -> member.metrics().declaredDead.stream()))
            .containsExactly("c:HEARTBEAT_EXPIRED");
    }
}
