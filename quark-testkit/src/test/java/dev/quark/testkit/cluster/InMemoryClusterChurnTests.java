package dev.quark.testkit.cluster;

import java.util.List;

import dev.quark.cluster.membership.SiloEntry;
import dev.quark.cluster.membership.SiloStatus;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The churn scenarios of {@link ClusterChurnTests} on the test kit's own membership table and in-JVM transport,
 * at full load: 100 callers, 1,000 ledgers, 3,000 calls between two membership changes. A rolling restart moves
 * only the actors whose ranges change hands on the ring; a silo cut off from its peers (the in-JVM network cuts
 * links) is voted dead under load and rejoins; a silo paused past its eviction (the in-JVM network isolates it) comes
 * back, activates nothing until it rejoined, and its late saves lose no acknowledged update.
 */
class InMemoryClusterChurnTests extends ClusterChurnTests {

    InMemoryClusterChurnTests() {
        super(new Load(1_000, 100, 3_000));
    }

    @Override
    void configure(TestCluster.Builder builder) {
    }

    /**
     * A silo cut off from its peers while the table still reaches it (a false suspicion: it is alive) is voted dead
     * under load, learns it, drops its ledgers and rejoins with a new epoch at once, staying JOINING until the links
     * heal, then becomes active and takes its share back. Its ledgers count as ended once its rejoin is seen (a new
     * epoch): nothing may start on it from then until the links heal; a survivor's activation of one of its ledgers
     * before then may overlap with the suspect's (the moment a silo voted dead serves until it reads that), and
     * nothing else. No acknowledged update is lost
     * (its own saves after the vote lose the version check to the survivors'), and calls fail only with the
     * cluster's typed exceptions.
     */
    @Test
    void aSiloFalselyVotedDeadUnderLoadRejoinsAndNoAcknowledgedUpdateIsLost() {
        this.cluster = clusterDetectingFailuresFast();
        try (LedgerCallers callers = callersThroughRunningSilos()) {
            callers.awaitMoreCalls(this.load.callsPerRound(), TIMEOUT);
            TestSilo suspect = this.cluster.silo(1);
            long epoch = entryOf(suspect).epoch();
            callers.retire(suspect, TIMEOUT);
            this.cluster.network().cut(suspect.siloId(), this.cluster.silo(0).siloId());
            this.cluster.network().cut(suspect.siloId(), this.cluster.silo(2).siloId());

            // Voted dead, it learns it at once and rejoins with a new epoch, but stays JOINING (off the ring) while it
            // cannot reach its peers: its DEAD entry may last only milliseconds.
            LedgerCallers.awaitAtMost(TIMEOUT).until(() -> entryOf(suspect).epoch() > epoch);
            assertThat(entryOf(suspect).status()).isEqualTo(SiloStatus.JOINING);
            this.activations.killed(suspect.siloId());
            // Between the vote and the suspect's reading it, a survivor may activate one of its ledgers while the
            // suspect still holds it (the documented moment a silo voted dead serves until it reads that).
            List<String> beforeItKnew = List.copyOf(this.activations.duplicates());
            assertThat(beforeItKnew).allSatisfy((duplicate) -> assertThat(duplicate)
                .endsWith("while alive on [" + suspect.siloId() + "]"));
            callers.awaitMoreCalls(this.load.callsPerRound(), TIMEOUT);
            this.activations.revived(suspect.siloId());
            this.cluster.network().healAll();
            LedgerCallers.awaitAtMost(TIMEOUT).until(() -> entryOf(suspect).status() == SiloStatus.ACTIVE
                    && this.cluster.runningSilos().stream()
                        .allMatch((silo) -> silo.routing().view().ring().silos().contains(suspect.siloId())));
            callers.enterThrough(this.cluster.runningSilos());
            callers.awaitMoreCalls(this.load.callsPerRound(), TIMEOUT);
            callers.close();

            assertThat(this.activations.duplicates()).as("once the suspect knew").isEqualTo(beforeItKnew);
            assertFailedOnlyTypedAndLostNoAcknowledgedUpdate(callers);
            assertThat(suspect.runtime().activationCount()).as("ledgers on the rejoined silo").isPositive();
            report("false suspicion (" + beforeItKnew.size() + " ledgers activated anew before the suspect knew)",
                    callers);
        }
    }

    private SiloEntry entryOf(TestSilo silo) {
        return this.cluster.membership().read().silo(silo.siloId()).orElseThrow();
    }

    @Test
    @Override
    void rollingRestartMovesOnlyTheLedgersWhoseRangesChangeHands() {
        super.rollingRestartMovesOnlyTheLedgersWhoseRangesChangeHands();
    }

    @Test
    @Override
    void aRollingRestartWithCallersCallingMeanwhileFailsNoCallAndLosesNoUpdate() {
        super.aRollingRestartWithCallersCallingMeanwhileFailsNoCallAndLosesNoUpdate();
    }

    @Test
    @Override
    void aRollingRestartThatStartsTheNewSiloFirstMovesFewerLedgers() {
        super.aRollingRestartThatStartsTheNewSiloFirstMovesFewerLedgers();
    }

    @Test
    @Override
    void callersThatKeepEnteringThroughALeavingSiloFailOnlyWithTypedExceptionsAndLoseNoAcknowledgedUpdate() {
        super.callersThatKeepEnteringThroughALeavingSiloFailOnlyWithTypedExceptionsAndLoseNoAcknowledgedUpdate();
    }

    @Test
    @Override
    void silosRestartedWithTheirOldIdsNeverActivateALedgerTwiceAndLoseNoAcknowledgedUpdate() {
        super.silosRestartedWithTheirOldIdsNeverActivateALedgerTwiceAndLoseNoAcknowledgedUpdate();
    }

    @Test
    @Override
    void aSiloPausedPastItsEvictionActivatesNothingUntilItRejoinsAndLosesNoAcknowledgedUpdate() {
        super.aSiloPausedPastItsEvictionActivatesNothingUntilItRejoinsAndLosesNoAcknowledgedUpdate();
    }
}
