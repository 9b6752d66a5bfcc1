package dev.quark.durabletasks.worker;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.AbstractMap.SimpleEntry;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import dev.quark.durabletasks.store.ActivityWorkItem;
import dev.quark.durabletasks.store.OrchestrationCommit;
import dev.quark.durabletasks.store.OrchestrationWorkItem;
import dev.quark.durabletasks.store.RowLeases;
import dev.quark.lease.FencingToken;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class RowLeaseKeeperTests {

    private static final Duration LEASE = Duration.ofSeconds(30);

    private static final Instant START = Instant.parse("2026-05-01T08:00:00Z");

    private final FakeLeases leases = new FakeLeases();

    private final List<String> lost = new CopyOnWriteArrayList<>();

    /** Renewal rounds scheduled (a third of the lease ahead). */
    private final List<Supplier<? extends CompletionStage<?>>> rounds = new CopyOnWriteArrayList<>();

    /** Give-up timers scheduled, by when they are due. */
    private final List<Map.Entry<Instant, Supplier<? extends CompletionStage<?>>>> giveUps = new CopyOnWriteArrayList<>();

    private volatile Instant now = START;

    private final Clock clock = new Clock() {
        @Override
        public Instant instant() {
            return RowLeaseKeeperTests.this.now;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }
    };

    private final RowLeaseKeeper keeper = keeper(Runnable::run);

    private RowLeaseKeeper keeper(Executor executor) {
        return new RowLeaseKeeper(this.leases, LEASE, this.clock, (at, task) -> {
            if (Duration.between(this.now, at).equals(LEASE.dividedBy(3))) {
                this.rounds.add(task);
                return () -> this.rounds.remove(task);
            }
            Map.Entry<Instant, Supplier<? extends CompletionStage<?>>> giveUp = new SimpleEntry<>(at, task);
            this.giveUps.add(giveUp);
            return () -> this.giveUps.remove(giveUp);
        }, executor, (resource, token, reason) -> this.lost.add(resource + " " + reason));
    }

    @Test
    void heldLeasesAreRenewedInOneRoundAndThoseTheStoreRefusedAreReportedLost() {
        this.keeper.keepInstance("order", new FencingToken(7), this.keeper.leasedUntil());
        this.keeper.keepActivity("order#1#1", new FencingToken(8), this.keeper.leasedUntil());
        this.leases.refused.add("order#1#1");
        runRound();
        assertThat(this.leases.renewedInstances).containsExactly(Map.of("order", new FencingToken(7)));
        assertThat(this.lost).containsExactly("durabletasks:activity:order#1#1 RENEWAL_REFUSED");
        assertThat(this.rounds).as("the instance is still held: another round").hasSize(1);
    }

    @Test
    void closingCancelsTheGiveUpTimersOfTheLeasesStillHeldAndALeaseKeptAfterwardsStartsNone() {
        this.keeper.keepInstance("order", new FencingToken(7), this.keeper.leasedUntil());
        this.keeper.keepActivity("order#1#1", new FencingToken(8), this.keeper.leasedUntil());
        assertThat(this.giveUps).hasSize(2);
        this.keeper.close();
        assertThat(this.giveUps).as("give-up timers left running").isEmpty();
        assertThat(this.rounds).as("renewal rounds left scheduled").isEmpty();
        this.keeper.keepActivity("order#1#2", new FencingToken(9), this.keeper.leasedUntil());
        assertThat(this.giveUps).isEmpty();
        assertThat(this.rounds).isEmpty();
        this.now = START.plus(LEASE);
        assertThat(this.lost).isEmpty();
    }

    @Test
    void aLeaseKeptAfterCloseSchedulesNothingEvenWhenTheSchedulerRejectsAndCanStillBeReleased() {
        java.util.concurrent.atomic.AtomicBoolean shutDown = new java.util.concurrent.atomic.AtomicBoolean();
        RowLeaseKeeper closing = new RowLeaseKeeper(this.leases, LEASE, this.clock, (at, task) -> {
            if (shutDown.get()) {
                throw new java.util.concurrent.RejectedExecutionException("scheduler shut down");
            }
            return () -> true;
        }, Runnable::run, (resource, token, reason) -> this.lost.add(resource + " " + reason));
        closing.close();
        shutDown.set(true);
        closing.keepActivity("order#1#1", new FencingToken(8), closing.leasedUntil());
        closing.releaseActivity("order#1#1", new FencingToken(8));
        assertThat(this.leases.released).containsExactly("order#1#1@8");
        assertThat(this.lost).isEmpty();
    }

    @Test
    void aLeaseSettledBeforeItsLastWriteIsNeitherRenewedNorReportedLost() {
        this.keeper.keepInstance("order", new FencingToken(7), this.keeper.leasedUntil());
        this.keeper.settleInstance("order", new FencingToken(7));
        this.leases.refused.add("order");
        runRound();
        assertThat(this.leases.renewedInstances).isEmpty();
        assertThat(this.lost).isEmpty();
        assertThat(this.rounds).as("nothing held: no more rounds").isEmpty();
    }

    @Test
    void settlingWithAnOlderTokenLeavesTheNewerClaimRenewed() {
        this.keeper.keepInstance("order", new FencingToken(9), this.keeper.leasedUntil());
        this.keeper.settleInstance("order", new FencingToken(7));
        runRound();
        assertThat(this.leases.renewedInstances).containsExactly(Map.of("order", new FencingToken(9)));
    }

    @Test
    void whileRenewalsFailALeaseIsLostOnlyOnceItRanOutOnTheClock() {
        this.keeper.keepActivity("order#1#1", new FencingToken(8), this.keeper.leasedUntil());
        this.leases.failing = true;
        this.now = START.plus(LEASE.dividedBy(3));
        runRound();
        assertThat(this.lost).isEmpty();
        this.now = START.plus(LEASE);
        runRound();
        assertThat(this.lost).containsExactly("durabletasks:activity:order#1#1 EXPIRED");
    }

    @Test
    void aLeaseIsGivenUpWhenItRunsOutWhileItsRenewalCallHangsAndIsReportedOnce() throws Exception {
        ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
        try {
            RowLeaseKeeper hanging = keeper(threads);
            hanging.keepInstance("order", new FencingToken(7), hanging.leasedUntil());
            assertThat(this.giveUps).singleElement().satisfies((giveUp) -> assertThat(giveUp.getKey())
                .isEqualTo(START.plus(LEASE)));
            this.leases.hang = new CountDownLatch(1);
            this.now = START.plus(LEASE.dividedBy(3));
            Supplier<? extends CompletionStage<?>> round = this.rounds.remove(0);
            CompletableFuture<?> renewing = round.get().toCompletableFuture();
            assertThat(this.leases.entered.await(10, TimeUnit.SECONDS)).as("the renewal call started").isTrue();
            this.now = START.plus(LEASE);
            this.giveUps.remove(0).getValue().get().toCompletableFuture().join();
            assertThat(this.lost).as("given up while the renewal call still hangs")
                .containsExactly("durabletasks:instance:order EXPIRED");
            assertThat(renewing).isNotDone();
            this.leases.hang.countDown();
            renewing.get(10, TimeUnit.SECONDS);
            assertThat(this.lost).as("reported once").hasSize(1);
        }
        finally {
            this.leases.hang.countDown();
            threads.shutdownNow();
        }
    }

    @Test
    void aRenewalReplacesTheGiveUpTimerWhichFiresEvenOnAFixedClockAndASettledLeaseCancelsIt() {
        this.keeper.keepInstance("order", new FencingToken(7), this.keeper.leasedUntil());
        runRound();
        assertThat(this.giveUps).as("the renewal replaced the first timer").hasSize(1);
        this.giveUps.get(0).getValue().get().toCompletableFuture().join();
        assertThat(this.lost).as("the clock never moved: the timer, not the clock, says when").containsExactly(
                "durabletasks:instance:order EXPIRED");
        this.keeper.keepActivity("order#1#1", new FencingToken(8), this.keeper.leasedUntil());
        this.keeper.settleActivity("order#1#1", new FencingToken(8));
        assertThat(this.giveUps).as("settled: its timer is cancelled").hasSize(1);
    }

    @Test
    void releaseFreesTheLeaseInTheStoreWithItsToken() {
        this.keeper.keepActivity("order#1#1", new FencingToken(8), this.keeper.leasedUntil());
        this.keeper.releaseActivity("order#1#1", new FencingToken(8));
        assertThat(this.leases.released).containsExactly("order#1#1@8");
        runRound();
        assertThat(this.leases.renewedActivities).isEmpty();
    }

    private void runRound() {
        assertThat(this.rounds).as("a scheduled round").hasSize(1);
        Supplier<? extends CompletionStage<?>> round = this.rounds.remove(0);
        round.get().toCompletableFuture().join();
    }

    private static final class FakeLeases implements RowLeases {

        final Set<String> refused = new HashSet<>();

        final List<Map<String, FencingToken>> renewedInstances = new ArrayList<>();

        final List<Map<String, FencingToken>> renewedActivities = new ArrayList<>();

        final List<String> released = new ArrayList<>();

        volatile boolean failing;

        volatile CountDownLatch hang = new CountDownLatch(0);

        final CountDownLatch entered = new CountDownLatch(1);

        @Override
        public List<OrchestrationWorkItem> claimInstances(String owner, Instant now, Duration leaseDuration, int limit) {
            return List.of();
        }

        @Override
        public List<ActivityWorkItem> claimActivities(String owner, Instant now, Duration leaseDuration, int limit) {
            return List.of();
        }

        @Override
        public List<ActivityWorkItem> commitLeasingActivities(OrchestrationCommit commit, String owner,
                Duration leaseDuration, int limit) {
            return List.of();
        }

        @Override
        public Set<String> renewInstances(Map<String, FencingToken> held, Duration leaseDuration) {
            return renew(held, this.renewedInstances);
        }

        @Override
        public Set<String> renewActivities(Map<String, FencingToken> held, Duration leaseDuration) {
            return renew(held, this.renewedActivities);
        }

        private Set<String> renew(Map<String, FencingToken> held, List<Map<String, FencingToken>> into) {
            if (this.failing) {
                throw new IllegalStateException("database down");
            }
            this.entered.countDown();
            try {
                if (!this.hang.await(10, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("renewal call hung for 10 s");
                }
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(ex);
            }
            into.add(Map.copyOf(held));
            Set<String> renewed = new HashSet<>(held.keySet());
            renewed.removeAll(this.refused);
            return renewed;
        }

        @Override
        public void releaseInstance(String instanceId, FencingToken token) {
            this.released.add(instanceId + "@" + token.value());
        }

        @Override
        public void releaseActivity(String activityId, FencingToken token) {
            this.released.add(activityId + "@" + token.value());
        }
    }
}
