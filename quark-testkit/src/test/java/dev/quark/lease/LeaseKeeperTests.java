package dev.quark.lease;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;

import dev.quark.lease.memory.InMemoryLeaseStore;
import dev.quark.testkit.ManualClock;
import dev.quark.testkit.ManualScheduler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.awaitility.Awaitility.await;

/**
 * The lease keeper in virtual time: a manual clock shared by the keeper and an in-memory store, a manual
 * scheduler that runs renewals and expiry checks as the test moves the clock.
 */
class LeaseKeeperTests {

    private static final Duration DURATION = Duration.ofSeconds(30);

    private static final Duration RENEW_EVERY = Duration.ofSeconds(10);

    private final ManualClock clock = new ManualClock();

    private final ManualScheduler scheduler = new ManualScheduler(this.clock);

    private final InMemoryLeaseStore memory = new InMemoryLeaseStore(this.clock);

    private final ScriptedLeaseStore store = new ScriptedLeaseStore(this.memory);

    private final List<String> losses = new CopyOnWriteArrayList<>();

    private final List<LeaseKeeper> keepers = new ArrayList<>();

    @AfterEach
    void closeKeepers() {
        this.keepers.forEach(LeaseKeeper::close);
    }

    private LeaseKeeper keeper() {
        return keeper(UnaryOperator.identity());
    }

    private LeaseKeeper keeper(UnaryOperator<LeaseKeeper.Builder> customizer) {
        LeaseKeeper.Builder builder = LeaseKeeper.builder(this.store, "node-1")
            .duration(DURATION)
            .renewEvery(RENEW_EVERY)
            .clock(this.clock)
            .scheduler((at, task) -> this.scheduler.schedule(at, task)::cancel)
            .executor(Runnable::run)
            .listener((lease, loss) -> this.losses.add(lease.resource() + " " + loss));
        LeaseKeeper keeper = customizer.apply(builder).build();
        this.keepers.add(keeper);
        return keeper;
    }

    @Test
    void keepsLeasesAliveForAsLongAsTheStoreAnswers() {
        LeaseKeeper keeper = keeper();
        List<Lease> leases = keeper.acquire(List.of("jobs:1", "jobs:2"), 10);
        assertThat(leases).extracting(Lease::owner).containsOnly("node-1");
        this.scheduler.advance(Duration.ofMinutes(10));
        for (Lease lease : leases) {
            LeaseHolder holder = this.memory.holder(lease.resource()).orElseThrow();
            assertThat(holder.owner()).isEqualTo("node-1");
            assertThat(holder.token()).isEqualTo(lease.token());
            assertThat(keeper.lease(lease.resource()).orElseThrow().validUntil()).isAfter(this.clock.instant());
        }
        assertThat(this.store.renewals()).hasSize(60);
        assertThat(this.losses).isEmpty();
    }

    @Test
    void renewsEveryIntervalAndUpdatesValidUntil() {
        LeaseKeeper keeper = keeper();
        Instant start = this.clock.instant();
        keeper.acquire("jobs:1").orElseThrow();
        this.scheduler.advance(RENEW_EVERY.minusMillis(1));
        assertThat(this.store.renewals()).isEmpty();
        this.scheduler.advance(Duration.ofMillis(1));
        assertThat(this.store.renewals()).hasSize(1);
        assertThat(keeper.lease("jobs:1").orElseThrow().validUntil()).isEqualTo(start.plus(RENEW_EVERY).plus(DURATION));
        assertThat(keeper.leases()).hasSize(1);
    }

    @Test
    void renewsInBatchesOfTheBatchSize() {
        LeaseKeeper keeper = keeper((builder) -> builder.batchSize(2));
        assertThat(keeper.acquire(List.of("a", "b", "c", "d", "e"), 5)).hasSize(5);
        this.scheduler.advance(RENEW_EVERY);
        assertThat(this.store.renewals()).extracting(List::size).containsExactly(2, 2, 1);
        assertThat(this.store.renewals()).flatExtracting((batch) -> batch.stream().map(Lease::resource).toList())
            .containsExactly("a", "b", "c", "d", "e");
    }

    @Test
    void tellsTheListenerAtTheNextRenewalWhenTheStoreRefusesIt() {
        LeaseKeeper keeper = keeper();
        Lease lease = keeper.acquire("jobs:1").orElseThrow();
        keeper.acquire("jobs:2").orElseThrow();
        this.memory.release(lease);
        Lease thief = this.memory.tryAcquire("jobs:1", "node-2", DURATION).orElseThrow();
        this.scheduler.advance(RENEW_EVERY);
        assertThat(this.losses).containsExactly("jobs:1 RENEWAL_REFUSED");
        assertThat(keeper.lease("jobs:1")).isEmpty();
        assertThat(keeper.leases()).extracting(Lease::resource).containsExactly("jobs:2");
        assertThat(this.memory.holder("jobs:1").map(LeaseHolder::token)).as("the thief keeps it").contains(thief.token());
        this.scheduler.advance(Duration.ofMinutes(5));
        assertThat(this.losses).as("told once").hasSize(1);
        assertThat(this.store.renewals().getLast()).extracting(Lease::resource).containsExactly("jobs:2");
    }

    @Test
    void tellsTheListenerExactlyWhenALeaseExpiresWhileTheStoreCannotBeReached() {
        LeaseKeeper keeper = keeper();
        keeper.acquire("jobs:1").orElseThrow();
        this.store.failNextRenewals(Integer.MAX_VALUE);
        this.scheduler.advance(DURATION.minusMillis(1));
        assertThat(this.store.renewals()).as("two rounds failed").hasSize(2);
        assertThat(this.losses).isEmpty();
        this.scheduler.advance(Duration.ofMillis(1));
        assertThat(this.losses).containsExactly("jobs:1 EXPIRED");
        assertThat(keeper.leases()).isEmpty();
    }

    @Test
    void aLeaseSurvivesOneFailedRoundAndTheNextRoundRenewsIt() {
        LeaseKeeper keeper = keeper();
        keeper.acquire("jobs:1").orElseThrow();
        this.store.failNextRenewals(1);
        this.scheduler.advance(Duration.ofMinutes(2));
        assertThat(this.losses).isEmpty();
        assertThat(keeper.lease("jobs:1").orElseThrow().validUntil()).isAfter(this.clock.instant());
    }

    @Test
    void aShorterIntervalLetsALeaseSurviveMoreFailedRounds() {
        LeaseKeeper keeper = keeper((builder) -> builder.renewEvery(DURATION.dividedBy(4)));
        keeper.acquire("jobs:1").orElseThrow();
        this.store.failNextRenewals(2);
        this.scheduler.advance(Duration.ofMinutes(2));
        assertThat(this.losses).isEmpty();
        assertThat(this.store.renewals()).hasSizeGreaterThan(3);
    }

    @Test
    void expiryIsToldOnTimeEvenWhileEveryRoundHangsAndALateRenewalIsReleased() {
        Queue<Runnable> roundsInFlight = new ConcurrentLinkedQueue<>();
        LeaseKeeper keeper = keeper((builder) -> builder.executor(roundsInFlight::add).scheduler(notWaitingForRounds()));
        Lease lease = keeper.acquire("jobs:1").orElseThrow();
        this.scheduler.advance(DURATION);
        assertThat(roundsInFlight).as("a round started every interval although none answered").hasSize(2);
        assertThat(this.losses).containsExactly("jobs:1 EXPIRED");

        this.store.answerRenewals((leases, duration) -> new LeaseRenewal(renewedLater(leases), List.of()));
        roundsInFlight.remove().run();
        assertThat(this.store.released()).extracting(Lease::resource).containsExactly(lease.resource());
        assertThat(keeper.leases()).isEmpty();
        assertThat(this.losses).hasSize(1);
    }

    @Test
    void roundsKeepStartingWhileOneHangsAndTheNextOneRenews() {
        Queue<Runnable> roundsInFlight = new ConcurrentLinkedQueue<>();
        LeaseKeeper keeper = keeper((builder) -> builder.executor(roundsInFlight::add).scheduler(notWaitingForRounds()));
        Instant start = this.clock.instant();
        keeper.acquire("jobs:1").orElseThrow();
        this.scheduler.advance(RENEW_EVERY);
        Runnable hanging = roundsInFlight.remove();
        this.scheduler.advance(RENEW_EVERY);
        assertThat(roundsInFlight).as("the next round started while the first one hangs").hasSize(1);
        roundsInFlight.remove().run();
        assertThat(keeper.lease("jobs:1").orElseThrow().validUntil()).isEqualTo(start.plus(RENEW_EVERY.multipliedBy(2))
            .plus(DURATION));
        this.scheduler.advance(RENEW_EVERY.plusSeconds(5));
        assertThat(this.losses).as("past the lease's first validUntil").isEmpty();
        assertThat(this.memory.holder("jobs:1")).isPresent();

        hanging.run();
        assertThat(keeper.leases()).as("a late answer of the hung round is applied like any").hasSize(1);
        assertThat(this.store.released()).isEmpty();
    }

    @Test
    void aLeaseSurvivesOneRoundThatFailsSlowly() {
        LeaseKeeper keeper = keeper();
        keeper.acquire("jobs:1").orElseThrow();
        this.store.beforeNextRenewal(() -> {
            this.clock.advance(Duration.ofSeconds(15));
            throw new IllegalStateException("Connection timed out after 15s (scripted)");
        });
        this.scheduler.advance(Duration.ofMinutes(2));
        assertThat(this.losses).isEmpty();
        assertThat(keeper.lease("jobs:1").orElseThrow().validUntil()).isAfter(this.clock.instant());
    }

    @Test
    void roundsStartAtAFixedRateHoweverLongTheyTake() {
        List<Instant> starts = new CopyOnWriteArrayList<>();
        this.store.beforeEachRenewal(() -> {
            starts.add(this.clock.instant());
            this.clock.advance(Duration.ofSeconds(4));
        });
        LeaseKeeper keeper = keeper();
        Instant start = this.clock.instant();
        keeper.acquire("jobs:1").orElseThrow();
        this.scheduler.advance(Duration.ofSeconds(35));
        assertThat(starts).containsExactly(start.plusSeconds(10), start.plusSeconds(20), start.plusSeconds(30));
        assertThat(this.losses).isEmpty();
    }

    @Test
    void aBatchAcquiredWhileTheKeeperClosesIsReleasedWhole() {
        LeaseKeeper keeper = keeper();
        this.store.afterAcquisition(keeper::close);
        assertThatIllegalStateException().isThrownBy(() -> keeper.acquire(List.of("jobs:1", "jobs:2", "jobs:3"), 3))
            .withMessageContaining("closed");
        assertThat(this.memory.holder("jobs:1")).isEmpty();
        assertThat(this.memory.holder("jobs:2")).isEmpty();
        assertThat(this.memory.holder("jobs:3")).isEmpty();
        assertThat(keeper.leases()).isEmpty();
        assertThat(this.losses).isEmpty();
    }

    @Test
    void renewalsRunOnTheExecutorAndTheManualSchedulerWaitsForThem() {
        LeaseKeeper keeper = keeper((builder) -> builder.executor((task) -> Thread.ofVirtual().start(task)));
        keeper.acquire("jobs:1").orElseThrow();
        this.scheduler.advance(RENEW_EVERY);
        assertThat(this.store.renewals()).hasSize(1);
        assertThat(keeper.lease("jobs:1").orElseThrow().validUntil()).isEqualTo(this.clock.instant().plus(DURATION));
    }

    @Test
    void releaseStopsKeepingOneLeaseAndFreesIt() {
        LeaseKeeper keeper = keeper();
        Lease first = keeper.acquire("jobs:1").orElseThrow();
        keeper.acquire("jobs:2").orElseThrow();
        assertThat(keeper.release(first)).isTrue();
        assertThat(this.memory.holder("jobs:1")).isEmpty();
        this.scheduler.advance(Duration.ofMinutes(2));
        assertThat(this.store.renewals()).allSatisfy((batch) -> assertThat(batch).extracting(Lease::resource)
            .containsExactly("jobs:2"));
        assertThat(this.losses).isEmpty();
        assertThat(keeper.release(first)).as("releasing twice").isFalse();
    }

    @Test
    void forgetStopsKeepingALeaseWithoutCallingTheStoreAndIsNotToldOfItsEnd() {
        LeaseKeeper keeper = keeper();
        Lease forgotten = keeper.acquire("jobs:1").orElseThrow();
        keeper.acquire("jobs:2").orElseThrow();
        assertThat(keeper.forget(forgotten)).isTrue();
        assertThat(this.memory.holder("jobs:1")).as("still held in the store: forget does not release").isPresent();
        this.scheduler.advance(Duration.ofMinutes(2));
        assertThat(this.store.renewals()).allSatisfy((batch) -> assertThat(batch).extracting(Lease::resource)
            .containsExactly("jobs:2"));
        assertThat(this.losses).as("its expiry in the store is nobody's loss").isEmpty();
        assertThat(keeper.forget(forgotten)).as("forgetting twice").isFalse();
        keeper.close();
        assertThat(this.memory.holder("jobs:2")).isEmpty();
    }

    @Test
    void closeReleasesEveryLeaseAndStopsTheTimers() {
        LeaseKeeper keeper = keeper();
        keeper.acquire(List.of("jobs:1", "jobs:2"), 2);
        assertThat(this.scheduler.pendingTasks()).isPositive();
        keeper.close();
        assertThat(this.memory.holder("jobs:1")).isEmpty();
        assertThat(this.memory.holder("jobs:2")).isEmpty();
        assertThat(this.scheduler.pendingTasks()).isZero();
        assertThat(keeper.leases()).isEmpty();
        this.scheduler.advance(Duration.ofMinutes(2));
        assertThat(this.losses).as("a release is not a loss").isEmpty();
        assertThatIllegalStateException().isThrownBy(() -> keeper.acquire("jobs:3")).withMessageContaining("closed");
        Lease elsewhere = this.memory.tryAcquire("jobs:4", "node-1", DURATION).orElseThrow();
        assertThatIllegalStateException().isThrownBy(() -> keeper.keep(elsewhere)).withMessageContaining("closed");
        assertThat(this.memory.holder("jobs:4")).as("a lease handed to a closed keeper is released").isEmpty();
        keeper.close();
    }

    @Test
    void keepsALeaseAcquiredElsewhereButNotOneOfAnotherOwner() {
        LeaseKeeper keeper = keeper();
        Lease mine = this.memory.tryAcquire("jobs:1", "node-1", DURATION).orElseThrow();
        keeper.keep(mine);
        this.scheduler.advance(Duration.ofMinutes(2));
        assertThat(this.memory.holder("jobs:1").map(LeaseHolder::token)).contains(mine.token());
        Lease theirs = this.memory.tryAcquire("jobs:2", "node-2", DURATION).orElseThrow();
        assertThatIllegalArgumentException().isThrownBy(() -> keeper.keep(theirs))
            .withMessageContaining("node-2")
            .withMessageContaining("node-1");
    }

    @Test
    void aListenerThatThrowsDoesNotStopTheKeeper() {
        List<String> told = new CopyOnWriteArrayList<>();
        LeaseKeeper keeper = keeper((builder) -> builder.listener((lease, loss) -> {
            told.add(lease.resource());
            throw new IllegalStateException("listener failure (expected by the test)");
        }));
        Lease first = keeper.acquire("jobs:1").orElseThrow();
        Lease second = keeper.acquire("jobs:2").orElseThrow();
        keeper.acquire("jobs:3").orElseThrow();
        this.memory.release(first);
        this.scheduler.advance(RENEW_EVERY);
        this.memory.release(second);
        this.scheduler.advance(RENEW_EVERY);
        assertThat(told).containsExactly("jobs:1", "jobs:2");
        assertThat(keeper.leases()).extracting(Lease::resource).containsExactly("jobs:3");
    }

    @Test
    void theRenewalIntervalMustBeShorterThanTheDuration() {
        assertThatIllegalArgumentException()
            .isThrownBy(() -> LeaseKeeper.builder(this.store, "node-1").duration(DURATION).renewEvery(DURATION).build())
            .withMessageContaining("renewEvery PT30S")
            .withMessageContaining("PT30S");
        assertThatIllegalArgumentException().isThrownBy(() -> LeaseKeeper.builder(this.store, " "))
            .withMessageContaining("owner");
        LeaseKeeper defaults = LeaseKeeper.builder(this.store, "node-1").duration(Duration.ofSeconds(9)).build();
        this.keepers.add(defaults);
        assertThat(defaults.duration()).isEqualTo(Duration.ofSeconds(9));
    }

    /**
     * The one test in real time. Its lease lasts long enough for a dozen rounds, so that only a node starved for
     * seconds could lose it, and it waits until the lease has outlived its first duration, which took renewals.
     */
    @Test
    void inRealTimeTheDefaultSchedulerKeepsALeaseAliveBeyondItsFirstDuration() {
        InMemoryLeaseStore realTime = new InMemoryLeaseStore(Clock.systemUTC());
        List<String> lost = new CopyOnWriteArrayList<>();
        LeaseKeeper keeper = LeaseKeeper.builder(realTime, "node-1")
            .duration(Duration.ofSeconds(3))
            .renewEvery(Duration.ofMillis(250))
            .listener((lease, loss) -> lost.add(lease.resource() + " " + loss))
            .build();
        this.keepers.add(keeper);
        Lease lease = keeper.acquire("jobs:1").orElseThrow();
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
            .until(() -> Clock.systemUTC().instant().isAfter(lease.validUntil()));
        assertThat(lost).isEmpty();
        assertThat(realTime.holder("jobs:1").map(LeaseHolder::token)).contains(lease.token());
        assertThat(keeper.lease("jobs:1").orElseThrow().validUntil()).isAfter(lease.validUntil());
        keeper.close();
        assertThat(realTime.holder("jobs:1")).isEmpty();
    }

    /**
     * The test's manual scheduler, told that a round's work is done as soon as the round started, so that the test
     * can leave rounds hanging.
     */
    private LeaseKeeper.Scheduler notWaitingForRounds() {
        return (at, task) -> this.scheduler.schedule(at, () -> {
            task.get();
            return CompletableFuture.completedFuture(null);
        })::cancel;
    }

    private List<Lease> renewedLater(Collection<Lease> leases) {
        return leases.stream()
            .map((lease) -> new Lease(lease.resource(), lease.owner(), lease.token(), this.clock.instant().plus(DURATION)))
            .toList();
    }
}
