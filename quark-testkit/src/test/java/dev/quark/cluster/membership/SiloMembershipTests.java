package dev.quark.cluster.membership;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;

import dev.quark.cluster.membership.MembershipCluster.Member;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/**
 * Joining, views, refreshes, leaving and clean-up of silo membership agents, in virtual time.
 */
class SiloMembershipTests {

    private final MembershipCluster cluster = new MembershipCluster();

    @AfterEach
    void close() {
        this.cluster.close();
    }

    @Test
    void threeSilosJoinAndSeeTheSameView() {
        List<ClusterView> seenByA = new CopyOnWriteArrayList<>();
        Member a = this.cluster.create("a", UnaryOperator.identity());
        a.agent().subscribe(seenByA::add);
        a.agent().start().join();
        this.cluster.start("b");
        this.cluster.start("c");

        long tableVersion = this.cluster.table.read().version();
        for (String silo : List.of("a", "b", "c")) {
            SiloMembership agent = this.cluster.member(silo).agent();
            assertThat(agent.current().version()).as("version seen by %s", silo).isEqualTo(tableVersion);
            assertThat(agent.current().ring().silos()).containsExactly("a", "b", "c");
            assertThat(agent.current().membership().silos().values())
                .allSatisfy((entry) -> assertThat(entry.status()).isEqualTo(SiloStatus.ACTIVE));
            assertThat(agent.isServing()).isTrue();
            assertThat(agent.state()).isEqualTo(MembershipState.ACTIVE);
            assertThat(this.cluster.member(silo).events().names()).containsExactly("joined");
        }
        assertThat(seenByA).extracting(ClusterView::version).isSorted().doesNotHaveDuplicates();
        assertThat(seenByA.getLast().ring().silos()).containsExactly("a", "b", "c");
        SiloEntry self = a.agent().self().orElseThrow();
        assertThat(self.epoch()).isEqualTo(a.agent().epoch()).isPositive();
        assertThat(self.actorTypes()).containsExactly("Counter");
        assertThat(a.metrics().bound).isSameAs(a.agent());
    }

    @Test
    void membersStayActiveWhileEveryoneAnswersAndBeats() {
        this.cluster.start("a");
        this.cluster.start("b");
        this.cluster.start("c");
        long version = this.cluster.table.read().version();

        this.cluster.advance(Duration.ofMinutes(2));

        assertThat(this.cluster.table.read().version()).as("no write but heartbeats").isEqualTo(version);
        for (Member member : this.cluster.running()) {
            assertThat(member.agent().isServing()).isTrue();
            assertThat(member.events().names()).containsExactly("joined");
            assertThat(member.metrics().probesAnswered.get()).isGreaterThanOrEqualTo(2 * 120);
            assertThat(member.metrics().probesMissed.get()).isZero();
        }
        assertThat(this.cluster.table.read().silos().values())
            .allSatisfy((entry) -> assertThat(entry.suspicions()).isEmpty())
            .allSatisfy((entry) -> assertThat(entry.lastHeartbeat())
                .isAfterOrEqualTo(this.cluster.clock.instant().minusSeconds(10)));
    }

    @Test
    void aSiloRestartedUnderItsIdJoinsWithAHigherEpoch() {
        Member first = this.cluster.start("a");
        this.cluster.start("b");
        long firstEpoch = first.agent().epoch();
        first.agent().halt();

        Member second = this.cluster.start("a");

        assertThat(second.agent().epoch()).isGreaterThan(firstEpoch);
        assertThat(this.cluster.member("b").agent().current().silo("a").orElseThrow().epoch())
            .isEqualTo(second.agent().epoch());
    }

    @Test
    void ofTwoRunningSilosWithOneIdTheOlderStopsAndDoesNotRejoin() {
        Member older = this.cluster.start("a");
        this.cluster.start("b");
        long olderEpoch = older.agent().epoch();

        Member newer = this.cluster.start("a");
        this.cluster.advance(Duration.ofMinutes(1));

        assertThat(older.agent().state()).isEqualTo(MembershipState.DECLARED_DEAD);
        assertThat(older.events().names()).containsExactly("joined", "fenced:DECLARED_DEAD",
                "declaredDead:" + olderEpoch);
        assertThat(newer.agent().state()).isEqualTo(MembershipState.ACTIVE);
        assertThat(newer.agent().isServing()).isTrue();
        assertThat(this.cluster.member("b").agent().current().silo("a").orElseThrow().epoch())
            .isEqualTo(newer.agent().epoch());
    }

    @Test
    void aSiloStartsOnlyOnce() {
        Member a = this.cluster.start("a");

        assertThatIllegalStateException().isThrownBy(() -> a.agent().start())
            .withMessageContaining("silo a was started before");
    }

    @Test
    void aSiloThatMissesChangeNotificationsCatchesUpOnRefreshAndWhenACallShowsANewerVersion() {
        Member a = this.cluster.start("a");
        a.connection().muteHints();
        this.cluster.start("b");
        Member c = this.cluster.start("c");
        assertThat(a.agent().current().ring().silos()).containsExactly("a");

        a.agent().refreshIfOlderThan(c.agent().current().version());

        assertThat(a.agent().current().ring().silos()).containsExactly("a", "b", "c");

        this.cluster.start("d");
        this.cluster.advance(Duration.ofSeconds(5));
        assertThat(a.agent().current().ring().silos()).containsExactly("a", "b", "c", "d");
    }

    @Test
    void aLeavingSiloShutsDownHandsOverThenIsDeadAndTheOthersViewsFollow() {
        this.cluster.start("a");
        this.cluster.start("b");
        Member c = this.cluster.start("c");
        CompletableFuture<Void> handOver = new CompletableFuture<>();

        CompletableFuture<Void> left = c.agent().leave(() -> handOver);

        assertThat(left).isNotDone();
        assertThat(c.agent().state()).isEqualTo(MembershipState.LEAVING);
        assertThat(c.agent().isServing()).as("finishes its work while handing over").isTrue();
        for (String observer : List.of("a", "b", "c")) {
            assertThat(this.cluster.statusSeenBy(observer, "c")).isEqualTo(SiloStatus.SHUTTING_DOWN);
            assertThat(this.cluster.member(observer).agent().current().ring().silos()).containsExactly("a", "b");
        }
        this.cluster.advance(Duration.ofSeconds(20));
        assertThat(this.cluster.statusSeenBy("a", "c")).as("heartbeats go on").isEqualTo(SiloStatus.SHUTTING_DOWN);

        handOver.complete(null);

        assertThat(left).isDone();
        assertThat(c.agent().state()).isEqualTo(MembershipState.LEFT);
        assertThat(c.agent().isServing()).isFalse();
        assertThat(c.events().names()).containsExactly("joined", "left");
        assertThat(this.cluster.statusSeenBy("a", "c")).isEqualTo(SiloStatus.DEAD);
        assertThat(this.cluster.statusSeenBy("b", "c")).isEqualTo(SiloStatus.DEAD);
        this.cluster.advance(Duration.ofMinutes(1));
        assertThat(this.cluster.member("a").metrics().declaredDead).isEmpty();
        assertThat(this.cluster.member("b").metrics().declaredDead).isEmpty();
        assertThat(this.cluster.member("a").agent().current().ring().silos()).containsExactly("a", "b");
    }

    @Test
    void aLeaveWhoseHandOverNeverEndsLeavesAfterTheLeaveTimeout() {
        this.cluster.start("a");
        Member b = this.cluster.start("b", (settings) -> settings.leaveTimeout(Duration.ofSeconds(8)));

        CompletableFuture<Void> left = b.agent().leave(CompletableFuture::new);
        this.cluster.advance(Duration.ofSeconds(7));
        assertThat(left).isNotDone();
        this.cluster.advance(Duration.ofSeconds(1));

        assertThat(left).isDone();
        assertThat(this.cluster.statusSeenBy("a", "b")).isEqualTo(SiloStatus.DEAD);
        assertThat(b.agent().leave(CompletableFuture::new)).isSameAs(left);
    }

    @Test
    void closingAMemberLeavesTheCluster() {
        this.cluster.start("a");
        Member b = this.cluster.start("b");

        b.agent().close();

        assertThat(b.agent().state()).isEqualTo(MembershipState.LEFT);
        assertThat(this.cluster.statusSeenBy("a", "b")).isEqualTo(SiloStatus.DEAD);
    }

    @Test
    void theEntriesOfLongDeadSilosAreRemoved() {
        UnaryOperator<MembershipSettings.Builder> retention = (settings) -> settings
            .deadSiloRetention(Duration.ofMinutes(1));
        this.cluster.start("a", retention);
        this.cluster.start("b", retention);
        this.cluster.start("c", retention);
        this.cluster.kill("c");
        this.cluster.advance(Duration.ofSeconds(5));
        assertThat(this.cluster.statusSeenBy("b", "c")).isEqualTo(SiloStatus.DEAD);

        this.cluster.advance(Duration.ofSeconds(60));

        assertThat(this.cluster.table.read().silos()).containsOnlyKeys("a", "b");
        assertThat(this.cluster.member("b").agent().current().membership().silos()).containsOnlyKeys("a", "b");
    }

    @Test
    void aClientOnlySiloHostsNoActorTypes() {
        Member client = this.cluster.start("client", (settings) -> settings.actorTypes(Set.of()));

        assertThat(client.agent().self().orElseThrow().actorTypes()).isEmpty();
    }
}
