package dev.quark.jobs.runtime;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class AdaptivePrefetchTests {

    private static final long MS = Duration.ofMillis(1).toNanos();

    private long now = Duration.ofHours(1).toNanos();

    @Test
    void startsAtTheWorkerCountUntilARateAndARoundTripWereMeasured() {
        AdaptivePrefetch prefetch = new AdaptivePrefetch(8, 32);
        assertThat(prefetch.current()).isEqualTo(8);
        finish(prefetch, 100);
        // The first claim starts the rate's window: no rate yet.
        assertThat(land(prefetch, 2 * MS, 2 * MS)).isEqualTo(8);
    }

    @Test
    void theFirstClaimsRoundTripIsLeftOut() {
        AdaptivePrefetch prefetch = new AdaptivePrefetch(8, 1000);
        // The first claim at start is the slowest: a pool opening its connections, code not yet compiled.
        land(prefetch, 200 * MS, 200 * MS);
        finish(prefetch, 2);
        // 1,000 jobs/s and 2 ms claims: 6 from the second claim on, not hundreds for a round trip still near 200 ms.
        assertThat(land(prefetch, 2 * MS, 2 * MS)).isEqualTo(6);
    }

    @Test
    void startsAtTheCeilingWhenItIsBelowTheWorkerCount() {
        assertThat(new AdaptivePrefetch(8, 4).current()).isEqualTo(4);
    }

    @Test
    void theCeilingIsFourTimesTheWorkerCountUnlessSet() {
        assertThat(AdaptivePrefetch.defaultCeiling(8)).isEqualTo(32);
        assertThat(AdaptivePrefetch.defaultCeiling(Integer.MAX_VALUE)).isEqualTo(Integer.MAX_VALUE);
    }

    @Test
    void aCeilingBelowTheFloorIsRefused() {
        assertThatIllegalArgumentException().isThrownBy(() -> new AdaptivePrefetch(8, 0))
            .withMessageContaining("was 0");
    }

    @Test
    void theTargetIsTheRateTimesTheRoundTripTwiceAndHalfAsMuchAgain() {
        AdaptivePrefetch prefetch = new AdaptivePrefetch(8, 1000);
        // 1,000 jobs/s and 2 ms: 2 jobs finish during a round trip; twice that for the refill, half as much again.
        assertThat(prefetch.target(1_000.0 / Duration.ofSeconds(1).toNanos(), 2 * MS)).isEqualTo(6);
        // Nearly none: the floor.
        assertThat(prefetch.target(1.0 / Duration.ofSeconds(60).toNanos(), 2 * MS)).isEqualTo(1);
    }

    @Test
    void theTargetIsClampedToTheFloorAndTheCeiling() {
        AdaptivePrefetch prefetch = new AdaptivePrefetch(8, 32);
        assertThat(prefetch.target(0, 2 * MS)).isEqualTo(AdaptivePrefetch.FLOOR).isEqualTo(1);
        assertThat(prefetch.target(1_000_000.0 / Duration.ofSeconds(1).toNanos(), 2 * MS)).isEqualTo(32);
    }

    @Test
    void aBacklogOfShortJobsGrowsItToTheCeiling() {
        AdaptivePrefetch prefetch = new AdaptivePrefetch(8, 32);
        land(prefetch, 2 * MS, 2 * MS);
        // What the morning's quiet benchmark measured with a prefetch of 8: about 11 jobs finished per 1.6 ms claim.
        for (int i = 0; i < 3; i++) {
            finish(prefetch, 11);
            land(prefetch, Duration.ofMillis(1).plusNanos(600_000).toNanos(), Duration.ofMillis(1).plusNanos(600_000).toNanos());
        }
        assertThat(prefetch.current()).isEqualTo(32);
    }

    @Test
    void longJobsShrinkItToTheFloorWhateverAClaimTakes() {
        AdaptivePrefetch prefetch = new AdaptivePrefetch(8, 32);
        land(prefetch, 2 * MS, 2 * MS);
        // Eight workers, one-minute jobs: one finishes every 7.5 s; claims even take a second.
        for (int i = 0; i < 20; i++) {
            finish(prefetch, 1);
            land(prefetch, Duration.ofMillis(7_500).toNanos(), Duration.ofSeconds(1).toNanos());
            assertThat(prefetch.current()).isEqualTo(1);
        }
    }

    @Test
    void aRefreshBeforeAClaimIsSizedShrinksItToWhatTheWorkersFinishNow() {
        AdaptivePrefetch prefetch = new AdaptivePrefetch(8, 32);
        land(prefetch, 2 * MS, 2 * MS);
        for (int i = 0; i < 3; i++) {
            finish(prefetch, 11);
            land(prefetch, 1_600_000, 1_600_000);
        }
        assertThat(prefetch.current()).isEqualTo(32);
        // Long jobs now: one finished in the second since the last claim landed.
        finish(prefetch, 1);
        this.now += Duration.ofSeconds(1).toNanos();
        assertThat(prefetch.refresh(this.now)).isEqualTo(1);
    }

    @Test
    void refreshesWaitForAMeasuredRateAndWeighByTheTimeTheyCover() {
        AdaptivePrefetch prefetch = new AdaptivePrefetch(8, 1000);
        land(prefetch, 2 * MS, 2 * MS);
        assertThat(prefetch.refresh(this.now + MS)).isEqualTo(8);
        for (int i = 0; i < 50; i++) {
            finish(prefetch, 1);
            this.now += MS;
            prefetch.refresh(this.now);
            finish(prefetch, 1);
            land(prefetch, MS, 2 * MS);
        }
        // Samples twice as often weigh what half as many would: 1,000 jobs/s and 2 ms claims, 6 as before.
        assertThat(prefetch.current()).isEqualTo(6);
    }

    @Test
    void oneSlowClaimRaisesTheTargetByAnEighthAtMost() {
        AdaptivePrefetch prefetch = new AdaptivePrefetch(8, 1000);
        land(prefetch, 2 * MS, 2 * MS);
        // 1,000 jobs/s and 2 ms claims: 6.
        for (int i = 0; i < 50; i++) {
            finish(prefetch, 2);
            land(prefetch, 2 * MS, 2 * MS);
        }
        assertThat(prefetch.current()).isEqualTo(6);
        // A claim a hundred times as slow, its jobs finished meanwhile as before: the round trip counts for 4 ms.
        finish(prefetch, 2);
        assertThat(land(prefetch, 2 * MS, 200 * MS)).isEqualTo(7);
        for (int i = 0; i < 50; i++) {
            finish(prefetch, 2);
            land(prefetch, 2 * MS, 2 * MS);
        }
        assertThat(prefetch.current()).isEqualTo(6);
    }

    @Test
    void aStoreThatSlowsDownForGoodRaisesItWithinAFewDozenClaims() {
        AdaptivePrefetch prefetch = new AdaptivePrefetch(8, 1000);
        land(prefetch, 2 * MS, 2 * MS);
        for (int i = 0; i < 50; i++) {
            finish(prefetch, 2);
            land(prefetch, 2 * MS, 2 * MS);
        }
        assertThat(prefetch.current()).isEqualTo(6);
        // Claims now take 20 ms while the workers still finish 1,000 jobs/s: 60.
        for (int i = 0; i < 40; i++) {
            finish(prefetch, 2);
            land(prefetch, 2 * MS, 20 * MS);
        }
        assertThat(prefetch.current()).isBetween(55, 60);
    }

    @Test
    void aBurstAfterALongIdleSpellIsLearntWithinAFewDozenClaims() {
        AdaptivePrefetch prefetch = new AdaptivePrefetch(8, 32);
        land(prefetch, 2 * MS, 2 * MS);
        // An idle node: a claim that brings nothing every second.
        for (int i = 0; i < 600; i++) {
            land(prefetch, Duration.ofSeconds(1).toNanos(), 2 * MS);
        }
        assertThat(prefetch.current()).isEqualTo(1);
        // A backlog of short jobs: 11 finish between two claims landing 0.8 ms apart (two in flight, 1.6 ms each).
        int claims = 0;
        while (prefetch.current() < 32) {
            finish(prefetch, 11);
            land(prefetch, 800_000, 1_600_000);
            claims++;
        }
        assertThat(claims).isLessThan(30);
    }

    @Test
    void aClaimMeasuredAtZeroIsNoSampleAndItsFinishedJobsCountInTheNext() {
        AdaptivePrefetch prefetch = new AdaptivePrefetch(8, 1000);
        land(prefetch, 2 * MS, 2 * MS);
        finish(prefetch, 1);
        // Virtual time: the clock did not move during the claim.
        assertThat(land(prefetch, 0, 0)).isEqualTo(8);
        finish(prefetch, 1);
        // 2 jobs in 2 ms, claims of 2 ms: 2 × 2 × 1.5.
        assertThat(land(prefetch, 2 * MS, 2 * MS)).isEqualTo(6);
    }

    private void finish(AdaptivePrefetch prefetch, int jobs) {
        for (int i = 0; i < jobs; i++) {
            prefetch.jobFinished();
        }
    }

    /** Lands a claim {@code after} nanoseconds after the last one, which took {@code roundTrip}. */
    private int land(AdaptivePrefetch prefetch, long after, long roundTrip) {
        this.now += after;
        return prefetch.claimLanded(this.now, roundTrip);
    }
}
