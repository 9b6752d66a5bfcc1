package dev.quark.cluster.membership;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.UnaryOperator;

import dev.quark.cluster.membership.MembershipCluster.Member;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A silo that cannot know whether it is still a member stops serving, and one that learns it was declared
 * dead rejoins with a new epoch: no zombie keeps activations alive beside their new owners. Default timings:
 * TTL 30 s, fencing margin 5 s, heartbeats every 10 s, probes every second.
 */
class SelfFencingTests {

    @AutoClose
    private final MembershipCluster cluster = new MembershipCluster();

    private Member c;

    private Instant joinedAt;

    @BeforeEach
    void start() {
        this.cluster.start("a");
        this.cluster.start("b");
        this.c = this.cluster.start("c");
        this.joinedAt = this.cluster.clock.instant();
    }

    @Test
    void aSiloCutOffFromTheTableStopsServingBeforeOthersEvictItThenRejoinsWithAHigherEpoch() {
        long firstEpoch = this.c.agent().epoch();
        this.c.connection().cut();

        this.cluster.advance(Duration.ofSeconds(25));
        assertThat(this.c.agent().isServing()).isTrue();
        this.cluster.advance(Duration.ofSeconds(1));
        assertThat(this.c.agent().isServing()).as("25 s without renewal: TTL minus margin").isFalse();
        assertThat(this.c.events().firstAt("fenced:NOT_RENEWED")).isEqualTo(this.joinedAt.plusSeconds(26));
        this.cluster.advance(Duration.ofSeconds(4));
        assertThat(this.cluster.statusSeenBy("a", "c")).isEqualTo(SiloStatus.ACTIVE);
        this.cluster.advance(Duration.ofSeconds(1));
        assertThat(this.cluster.statusSeenBy("a", "c")).as("evicted after the TTL").isEqualTo(SiloStatus.DEAD);
        assertThat(this.c.agent().isServing()).isFalse();

        this.c.connection().restore();
        this.cluster.advance(Duration.ofSeconds(10));

        assertThat(this.c.events().names()).containsExactly("joined", "fenced:NOT_RENEWED",
                "declaredDead:" + firstEpoch, "rejoined");
        assertThat(this.c.agent().epoch()).isGreaterThan(firstEpoch);
        assertThat(this.c.agent().isServing()).isTrue();
        SiloEntry seenByA = this.cluster.member("a").agent().current().silo("c").orElseThrow();
        assertThat(seenByA.status()).isEqualTo(SiloStatus.ACTIVE);
        assertThat(seenByA.epoch()).isEqualTo(this.c.agent().epoch());
        assertThat(this.cluster.member("a").agent().current().ring().silos()).contains("c");
    }

    @Test
    void aSiloThatRenewsBeforeItIsEvictedServesAgainWithItsEpoch() {
        long epoch = this.c.agent().epoch();
        this.c.connection().cut();
        this.cluster.advance(Duration.ofSeconds(26));
        assertThat(this.c.agent().isServing()).isFalse();

        this.c.connection().restore();
        this.cluster.advance(Duration.ofSeconds(4));

        assertThat(this.c.agent().isServing()).isTrue();
        assertThat(this.c.events().names()).containsExactly("joined", "fenced:NOT_RENEWED", "resumedServing");
        assertThat(this.c.agent().epoch()).isEqualTo(epoch);
        this.cluster.advance(Duration.ofMinutes(1));
        assertThat(this.cluster.statusSeenBy("a", "c")).isEqualTo(SiloStatus.ACTIVE);
    }

    @Test
    void aPausedSiloThatWasVotedDeadStopsServingOnResumeThenLearnsItAndRejoins() {
        long firstEpoch = this.c.agent().epoch();
        this.cluster.advance(Duration.ofMillis(500));
        pause(this.c);

        this.cluster.advance(Duration.ofSeconds(10));
        assertThat(this.cluster.statusSeenBy("a", "c")).isEqualTo(SiloStatus.DEAD);
        assertThat(this.c.agent().state()).as("it has not noticed yet").isEqualTo(MembershipState.ACTIVE);
        resume(this.c);

        assertThat(this.c.agent().isServing()).as("before any of its rounds ran again").isFalse();
        this.cluster.scheduler.runDueTasks();

        assertThat(this.c.events().names()).containsExactly("joined", "fenced:PAUSED", "declaredDead:" + firstEpoch,
                "rejoined");
        assertThat(this.c.agent().epoch()).isGreaterThan(firstEpoch);
        assertThat(this.c.agent().isServing()).isTrue();
        assertThat(this.cluster.statusSeenBy("a", "c")).isEqualTo(SiloStatus.ACTIVE);
    }

    @Test
    void aPausedSiloThatWasNotVotedDeadServesAgainAfterOneHeartbeat() {
        long epoch = this.c.agent().epoch();
        this.cluster.advance(Duration.ofMillis(500));
        pause(this.c);
        this.cluster.network.up("c");

        this.cluster.advance(Duration.ofSeconds(5));
        assertThat(this.c.agent().isServing()).isFalse();
        resume(this.c);
        this.cluster.scheduler.runDueTasks();

        assertThat(this.c.events().names()).containsExactly("joined", "fenced:PAUSED", "resumedServing");
        assertThat(this.c.agent().isServing()).isTrue();
        assertThat(this.c.agent().epoch()).isEqualTo(epoch);
    }

    /**
     * With a probe timeout shorter than the probe interval, the last missed probe counts as missed sooner: a
     * silo paused right after its round may be voted dead 2.2 s later (two intervals and a 200 ms timeout), so
     * its pause limit must be shorter than that (2.1 s: half the timeout is left for the probe's flight).
     */
    @Test
    void aSiloPausedUntilItCouldHaveBeenVotedDeadDoesNotServeOnResumeAlsoWithAShortProbeTimeout() {
        UnaryOperator<MembershipSettings.Builder> shortTimeout = (settings) -> settings
            .probeTimeout(Duration.ofMillis(200));
        try (MembershipCluster fast = new MembershipCluster()) {
            fast.network.failAfterTimeout(fast.scheduler, fast.clock);
            Member paused = fast.start("c", shortTimeout);
            long firstEpoch = paused.agent().epoch();
            fast.advance(Duration.ofMillis(1));
            fast.start("a", shortTimeout);
            fast.start("b", shortTimeout);
            fast.advance(Duration.ofMillis(999));
            paused.scheduler().pause();
            paused.connection().cut();
            fast.network.down("c");

            fast.advance(Duration.ofMillis(2900));
            assertThat(fast.table.read().silo("c").orElseThrow().status()).as("voted dead during the pause")
                .isEqualTo(SiloStatus.DEAD);
            fast.network.up("c");
            paused.connection().restore();
            paused.scheduler().resume();

            assertThat(paused.agent().isServing()).as("before any of its rounds ran again").isFalse();
            fast.scheduler.runDueTasks();
            assertThat(paused.events().names()).containsExactly("joined", "fenced:PAUSED",
                    "declaredDead:" + firstEpoch, "rejoined");
        }
    }

    /**
     * A silo fenced because it could not renew (here: cut off from the table) renews as soon as it can. If a
     * peer decided to evict it by heartbeat expiry on a read taken just before, the eviction must not land
     * behind the renewal while the silo serves again: the renewal is a conditional write, so the eviction
     * conflicts and is dropped.
     */
    @Test
    void aRenewalThatEndsAFenceMakesAnEvictionDecidedBeforeItConflict() {
        long epoch = this.c.agent().epoch();
        this.c.connection().muteHints();
        this.c.connection().cut();
        this.cluster.advance(Duration.ofMillis(29_500));
        assertThat(this.c.agent().isServing()).isFalse();
        this.c.scheduler().pause();
        AtomicBoolean renewedMeanwhile = new AtomicBoolean();
        for (String peer : List.of("a", "b")) {
            this.cluster.member(peer).connection().beforeWrite((entry) -> entry.siloId().equals("c")
                    && entry.status() == SiloStatus.DEAD && renewedMeanwhile.compareAndSet(false, true), () -> {
                        this.c.connection().restore();
                        this.c.scheduler().resumeNow();
                    });
        }

        this.cluster.advance(Duration.ofMillis(1500));

        assertThat(renewedMeanwhile).as("a peer decided to evict c (heartbeat expired at 31 s)").isTrue();
        assertThat(this.cluster.table.read().silo("c").orElseThrow().status()).isEqualTo(SiloStatus.ACTIVE);
        assertThat(this.c.agent().isServing()).isTrue();
        assertThat(this.c.agent().epoch()).isEqualTo(epoch);
        assertThat(this.c.events().names()).containsExactly("joined", "fenced:NOT_RENEWED", "resumedServing");
    }

    @Test
    void aPauseOfTwoSecondsNeitherFencesNorEvicts() {
        this.cluster.advance(Duration.ofMillis(400));
        pause(this.c);

        this.cluster.advance(Duration.ofSeconds(2));
        resume(this.c);
        this.cluster.scheduler.runDueTasks();
        this.cluster.advance(Duration.ofSeconds(30));

        assertThat(this.c.events().names()).containsExactly("joined");
        assertThat(this.cluster.statusSeenBy("a", "c")).isEqualTo(SiloStatus.ACTIVE);
        assertThat(this.cluster.table.read().silo("c").orElseThrow().suspicions()).isEmpty();
    }

    @Test
    void aSiloDeclaredDeadWithRejoiningTurnedOffStaysOut() {
        Member d = this.cluster.start("d", (settings) -> settings.rejoinAutomatically(false));
        long epoch = d.agent().epoch();

        this.cluster.network.cut("a", "d");
        this.cluster.network.cut("b", "d");
        this.cluster.network.cut("c", "d");
        this.cluster.advance(Duration.ofSeconds(30));

        assertThat(d.agent().state()).isEqualTo(MembershipState.DECLARED_DEAD);
        assertThat(d.agent().isServing()).isFalse();
        assertThat(d.agent().epoch()).isEqualTo(epoch);
        assertThat(d.events().names()).containsExactly("joined", "fenced:DECLARED_DEAD", "declaredDead:" + epoch);
        assertThat(this.cluster.statusSeenBy("a", "d")).isEqualTo(SiloStatus.DEAD);
    }

    /** A stop-the-world pause: no rounds run, no probe is answered, no change notification gets through. */
    private void pause(Member member) {
        member.scheduler().pause();
        member.connection().cut();
        this.cluster.network.down(member.id());
    }

    private void resume(Member member) {
        this.cluster.network.up(member.id());
        member.connection().restore();
        member.scheduler().resume();
    }
}
