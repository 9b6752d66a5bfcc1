package dev.quark.cluster.membership;

import java.time.Duration;
import java.util.Set;
import java.util.function.UnaryOperator;

import dev.quark.runtime.InvalidSettingException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

class MembershipSettingsTests {

    private static final SiloAddress ADDRESS = new SiloAddress("127.0.0.1", 7000);

    @Test
    void defaultsEvictAKilledSiloWithinSecondsAndSurviveShortPauses() {
        MembershipSettings settings = MembershipSettings.builder("silo-1", ADDRESS).build();

        assertThat(settings.clusterName()).isEqualTo("quark");
        assertThat(settings.virtualNodes()).isEqualTo(150);
        assertThat(settings.heartbeatInterval()).isEqualTo(Duration.ofSeconds(10));
        assertThat(settings.siloTtl()).isEqualTo(Duration.ofSeconds(30));
        assertThat(settings.fencingMargin()).isEqualTo(Duration.ofSeconds(5));
        assertThat(settings.probeInterval()).isEqualTo(Duration.ofSeconds(1));
        assertThat(settings.probeTimeout()).isEqualTo(Duration.ofSeconds(1));
        assertThat(settings.missedProbes()).isEqualTo(3);
        assertThat(settings.probedPeers()).isEqualTo(3);
        assertThat(settings.votesToDeclareDead()).isEqualTo(2);
        assertThat(settings.voteExpiry()).isEqualTo(Duration.ofSeconds(20));
        assertThat(settings.tableRefreshInterval()).isEqualTo(Duration.ofSeconds(5));
        assertThat(settings.deadSiloRetention()).isEqualTo(Duration.ofHours(1));
        assertThat(settings.leaveTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(settings.rejoinAutomatically()).isTrue();
        assertThat(settings.fenceAfter()).isEqualTo(Duration.ofSeconds(25));
        assertThat(settings.pauseLimit()).isEqualTo(Duration.ofMillis(2500));
        assertThat(settings.indirectProbeTimeout()).isEqualTo(Duration.ofSeconds(2));
    }

    @Test
    void votesNeededShrinkInSmallClusters() {
        MembershipSettings two = MembershipSettings.builder("silo-1", ADDRESS).build();
        MembershipSettings three = MembershipSettings.builder("silo-1", ADDRESS).votesToDeclareDead(3).build();

        assertThat(two.votesNeeded(1)).isEqualTo(1);
        assertThat(two.votesNeeded(2)).isEqualTo(1);
        assertThat(two.votesNeeded(3)).isEqualTo(2);
        assertThat(two.votesNeeded(50)).isEqualTo(2);
        assertThat(three.votesNeeded(4)).isEqualTo(2);
        assertThat(three.votesNeeded(5)).isEqualTo(3);
        assertThat(three.votesNeeded(9)).isEqualTo(3);
    }

    @Test
    void actorTypesAreCopied() {
        Set<String> types = new java.util.HashSet<>(Set.of("Counter"));
        MembershipSettings settings = MembershipSettings.builder("silo-1", ADDRESS).actorTypes(types).build();
        types.add("Account");

        assertThat(settings.actorTypes()).containsExactly("Counter");
    }

    @Test
    void blankSiloIdIsRejected() {
        assertRejected((b) -> MembershipSettings.builder(" ", ADDRESS), "siloId must not be blank, was ' '");
    }

    @Test
    void siloIdWithWhiteSpaceIsRejected() {
        assertRejected((b) -> MembershipSettings.builder("silo 1", ADDRESS),
                "siloId must not contain white space or control characters, was 'silo 1'");
    }

    @Test
    void overlongClusterNameIsRejected() {
        String name = "c".repeat(129);
        assertRejected((b) -> b.clusterName(name), "clusterName must be at most 128 characters long, was '" + name);
    }

    @Test
    void blankActorTypeIsRejected() {
        assertRejected((b) -> b.actorTypes(Set.of("Counter", "")), "actorTypes must not hold blank names");
    }

    @Test
    void virtualNodesOutOfRangeAreRejected() {
        assertRejected((b) -> b.virtualNodes(0), "virtualNodes must be between 1 and 10000, was 0");
        assertRejected((b) -> b.virtualNodes(10_001), "virtualNodes must be between 1 and 10000, was 10001");
    }

    @Test
    void nonPositiveDurationsAreRejected() {
        assertRejected((b) -> b.probeInterval(Duration.ZERO), "probeInterval must be positive, was PT0S");
        assertRejected((b) -> b.probeTimeout(Duration.ofSeconds(-1)), "probeTimeout must be positive, was PT-1S");
        assertRejected((b) -> b.heartbeatInterval(Duration.ZERO), "heartbeatInterval must be positive, was PT0S");
        assertRejected((b) -> b.tableRefreshInterval(Duration.ZERO), "tableRefreshInterval must be positive");
        assertRejected((b) -> b.deadSiloRetention(Duration.ZERO), "deadSiloRetention must be positive");
        assertRejected((b) -> b.leaveTimeout(Duration.ZERO), "leaveTimeout must be positive");
        assertRejected((b) -> b.fencingMargin(Duration.ofSeconds(-2)), "fencingMargin must be positive");
    }

    @Test
    void aFencingMarginOfZeroIsRejectedSinceItMustCoverClockSkew() {
        assertRejected((b) -> b.fencingMargin(Duration.ZERO), "fencingMargin must be positive: it must cover the "
                + "clock skew between silos and the time a heartbeat write takes, was PT0S");
    }

    /**
     * The last of the probes a paused silo misses may leave (missedProbes − 1) probe intervals after the first,
     * which left at most its flight time (taken as half a probe timeout) before the pause; it counts as missed a
     * probe timeout later, and the indirect probe may fail at once.
     */
    @Test
    void thePauseLimitIsTheEarliestAVoteCanLandAfterTheLastRound() {
        assertThat(MembershipSettings.builder("silo-1", ADDRESS).probeTimeout(Duration.ofMillis(200)).build()
            .pauseLimit()).isEqualTo(Duration.ofMillis(2100));
        assertThat(MembershipSettings.builder("silo-1", ADDRESS).probeTimeout(Duration.ofSeconds(3)).build()
            .pauseLimit()).isEqualTo(Duration.ofMillis(3500));
        assertThat(MembershipSettings.builder("silo-1", ADDRESS).missedProbes(1).probeTimeout(Duration.ofSeconds(3))
            .build()
            .pauseLimit()).isEqualTo(Duration.ofMillis(1500));
    }

    @Test
    void missedProbesThatLetAVoteLandBetweenTwoRoundsAreRejected() {
        assertRejected((b) -> b.missedProbes(1), "missedProbes is too low for probeInterval (PT1S) and probeTimeout "
                + "(PT1S): others may vote a silo dead PT0.5S after its last probe round");
        assertRejected((b) -> b.missedProbes(1).probeTimeout(Duration.ofSeconds(2)), "missedProbes is too low");
    }

    @Test
    void countsBelowOneAreRejected() {
        assertRejected((b) -> b.missedProbes(0), "missedProbes must be at least 1, was 0");
        assertRejected((b) -> b.probedPeers(-1), "probedPeers must be at least 1, was -1");
        assertRejected((b) -> b.votesToDeclareDead(0), "votesToDeclareDead must be at least 1, was 0");
    }

    @Test
    void aTtlThatLeavesNoRoomForAHeartbeatBeforeFencingIsRejected() {
        assertRejected((b) -> b.siloTtl(Duration.ofSeconds(15)),
                "siloTtl must be longer than heartbeatInterval (PT10S) + fencingMargin (PT5S), or a silo would stop "
                        + "serving before its next heartbeat, was PT15S");
    }

    @Test
    void votesThatExpireBeforeOthersCanVoteAreRejected() {
        assertRejected((b) -> b.voteExpiry(Duration.ofSeconds(3)),
                "voteExpiry must be longer than probeInterval (PT1S) × missedProbes (3)");
    }

    @Test
    void theExceptionNamesTheSetting() {
        assertThatExceptionOfType(InvalidSettingException.class)
            .isThrownBy(() -> MembershipSettings.builder("silo-1", ADDRESS).missedProbes(0).build())
            .satisfies((ex) -> assertThat(ex.getSetting()).isEqualTo("missedProbes"));
    }

    private static void assertRejected(UnaryOperator<MembershipSettings.Builder> settings, String message) {
        assertThatExceptionOfType(InvalidSettingException.class)
            .isThrownBy(() -> settings.apply(MembershipSettings.builder("silo-1", ADDRESS)).build())
            .withMessageContaining(message);
    }
}
