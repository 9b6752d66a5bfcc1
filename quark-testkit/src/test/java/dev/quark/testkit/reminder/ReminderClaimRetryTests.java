package dev.quark.testkit.reminder;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import dev.quark.actor.ReminderSchedule;
import dev.quark.lease.FencingToken;
import dev.quark.lease.Lease;
import dev.quark.lease.LeaseRenewal;
import dev.quark.lease.LeaseStore;
import dev.quark.lease.memory.InMemoryLeaseStore;
import dev.quark.reminder.ReminderBucketSet;
import dev.quark.reminder.ReminderEntry;
import dev.quark.reminder.ReminderKey;
import dev.quark.reminder.ReminderMetrics;
import dev.quark.reminder.ReminderOutcome;
import dev.quark.reminder.ReminderSettings;
import dev.quark.reminder.ReminderTick;
import dev.quark.reminder.ReminderTickManager;
import dev.quark.reminder.memory.InMemoryReminderTable;
import dev.quark.runtime.ActorAddress;
import dev.quark.runtime.ActorRuntime;
import dev.quark.testkit.ManualClock;
import dev.quark.testkit.ManualScheduler;
import dev.quark.testkit.lease.DelegatingLeaseStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * When a silo's claim rounds try again what they could not do, in virtual time, counted at the lease store: quickly
 * (25 ms, doubling to 250 ms, each &plusmn;20 %) for 6 s after a change of ownership, so that a bucket
 * its previous owner lets go is taken over within about a quarter of a second; then, and after a failing store,
 * every quarter of the lease duration. The quick rounds start again after a view that moves the silo's buckets, a
 * round that takes a bucket over and a lost lease; a round asked for is never put off by their pauses. A round never
 * releases a bucket whose ended tick's write is not yet handed to the writes, and a tick whose lease looked expired
 * comes back at the next refresh once a late renewal kept the lease.
 */
class ReminderClaimRetryTests {

    private static final Instant START = ManualClock.DEFAULT_START;

    private static final Duration LEASE = Duration.ofSeconds(10);

    private static final Duration STEP = Duration.ofMillis(1);

    private static final ReminderKey KEY = new ReminderKey(new ActorAddress("Pager", "handed-over"), "r");

    private static final int BUCKET = KEY.bucket();

    private static final int OTHER_BUCKET = (BUCKET + 1) % 1024;

    private final ManualClock clock = new ManualClock();

    private final ManualScheduler schedulerA = new ManualScheduler(this.clock);

    private final ManualScheduler schedulerB = new ManualScheduler(this.clock);

    private final InMemoryReminderTable table = new InMemoryReminderTable();

    private final RecordingLeaseStore leaseStore = new RecordingLeaseStore(new InMemoryLeaseStore(this.clock), this.clock);

    private final List<AutoCloseable> closeables = new ArrayList<>();

    private final List<String> deliveries = new CopyOnWriteArrayList<>();

    private final AtomicReference<ReminderBucketSet> wantedByA = new AtomicReference<>(ReminderBucketSet.all());

    private final AtomicReference<ReminderBucketSet> wantedByB = new AtomicReference<>(ReminderBucketSet.none());

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable closeable : this.closeables) {
            closeable.close();
        }
    }

    @Test
    void aBucketItsPreviousOwnerLetsGoIsTakenOverWithinAQuarterOfASecondAndNoTickIsLate() {
        ReminderTickManager a = manager("a", this.schedulerA, this.wantedByA);
        ReminderTickManager b = manager("b", this.schedulerB, this.wantedByB);
        this.table.save(new ReminderEntry(KEY, 1,
                ReminderSchedule.every(Duration.ofSeconds(2)).startingAt(START.plusSeconds(1)), new byte[0],
                ReminderTick.first(START.plusSeconds(1), 1)));
        a.start();
        b.start();
        runUntil(START.plusMillis(1500));
        assertThat(a.ownedBuckets().contains(BUCKET)).isTrue();
        assertThat(this.deliveries).containsExactly("a r@1000 late 0");

        // b learns the new view first: its claims find the bucket still held by a.
        this.wantedByB.set(ReminderBucketSet.of(BUCKET));
        b.ownershipChanged();
        runUntil(START.plusMillis(2000));
        assertThat(b.ownedBuckets().contains(BUCKET)).as("a still holds it").isFalse();

        // a learns it half a second later and lets the bucket go (no tick of it runs).
        this.wantedByA.set(ReminderBucketSet.all().minus(ReminderBucketSet.of(BUCKET)));
        a.ownershipChanged();
        runUntil(START.plusMillis(2600));
        Instant released = this.leaseStore.releasedBy("a");
        assertThat(released).isNotNull();
        assertThat(b.ownedBuckets().contains(BUCKET)).isTrue();
        Instant taken = this.leaseStore.acquiredBy("b");
        assertThat(Duration.between(released, taken))
            .as("b tries again within a quarter of a second (+20 %), not a quarter of the lease (2.5 s)")
            .isLessThanOrEqualTo(Duration.ofMillis(300));

        runUntil(START.plusMillis(5500));
        assertThat(this.deliveries).as("the tick due after the hand-over fires on b, on time")
            .containsExactly("a r@1000 late 0", "b r@3000 late 0", "b r@5000 late 0");
    }

    /**
     * A claim round that runs after a tick's end was recorded and before its next tick was handed to the writes (held
     * open here by the metrics, which count the end in between) keeps the bucket: released then, the new owner would
     * read the delivered tick from the table and deliver its instant again. The bucket goes once the write is
     * submitted, and the new owner goes on with the next instant.
     */
    @Test
    void aBucketIsNotReleasedBetweenATicksEndAndTheSubmitOfItsWrite() {
        AtomicBoolean held = new AtomicBoolean();
        AtomicReference<Instant> releasedInTheGap = new AtomicReference<>();
        AtomicReference<ReminderTickManager> a = new AtomicReference<>();
        AtomicReference<ReminderTickManager> b = new AtomicReference<>();
        a.set(manager("a", this.schedulerA, this.wantedByA, new ReminderMetrics() {

            @Override
            public void ticks(String actorType, ReminderOutcome outcome, long count) {
                if (outcome != ReminderOutcome.DELIVERED || !held.compareAndSet(false, true)) {
                    return;
                }
                // a learns that it no longer owns the bucket and runs a claim round; b, asking again, runs one too.
                ReminderClaimRetryTests.this.wantedByA.set(ReminderBucketSet.all().minus(ReminderBucketSet.of(BUCKET)));
                a.get().ownershipChanged();
                ReminderClaimRetryTests.this.schedulerA.runDueTasks();
                releasedInTheGap.set(ReminderClaimRetryTests.this.leaseStore.releasedBy("a"));
                b.get().ownershipChanged();
                ReminderClaimRetryTests.this.schedulerB.runDueTasks();
            }

            @Override
            public void lateness(String actorType, Duration lateness) {
            }
        }));
        b.set(manager("b", this.schedulerB, this.wantedByB));
        this.table.save(new ReminderEntry(KEY, 1,
                ReminderSchedule.every(Duration.ofSeconds(2)).startingAt(START.plusSeconds(1)), new byte[0],
                ReminderTick.first(START.plusSeconds(1), 1)));
        a.get().start();
        b.get().start();
        runUntil(START.plusMillis(500));
        this.wantedByB.set(ReminderBucketSet.of(BUCKET));
        b.get().ownershipChanged();

        runUntil(START.plusMillis(5500));
        assertThat(held).as("the metrics saw the end of the tick").isTrue();
        assertThat(this.deliveries).as("each instant once")
            .containsExactly("a r@1000 late 0", "b r@3000 late 0", "b r@5000 late 0");
        assertThat(releasedInTheGap.get()).as("a kept the bucket while the write of its tick was not submitted")
            .isNull();
        assertThat(b.get().ownedBuckets().contains(BUCKET)).as("then let it go").isTrue();
    }

    /**
     * A silo closed between the end of a tick and the submit of its write waits for the submit: its writes drained
     * and its leases released before it, the write would land on the closed writes and be dropped, and the bucket's
     * next owner would deliver the instant again. The metrics, told of the end before the write is submitted, close
     * the silo from another thread and hold the gap open until the close has returned or waits for the silo's ticks.
     */
    @Test
    void aSiloClosedBetweenATicksEndAndTheSubmitOfItsWriteWritesItBeforeReleasingItsBuckets() {
        AtomicReference<Thread> closer = new AtomicReference<>();
        AtomicReference<Instant> releasedInTheGap = new AtomicReference<>();
        AtomicReference<ReminderTickManager> a = new AtomicReference<>();
        a.set(manager("a", this.schedulerA, this.wantedByA, new ReminderMetrics() {

            @Override
            public void ticks(String actorType, ReminderOutcome outcome, long count) {
                if (outcome != ReminderOutcome.DELIVERED || closer.get() != null) {
                    return;
                }
                Thread closing = Thread.ofPlatform().name("closer").start(() -> a.get().close());
                closer.set(closing);
                await().atMost(Duration.ofSeconds(10))
                    .until(() -> !closing.isAlive() || waitsForTheTicksInClose(closing));
                releasedInTheGap.set(ReminderClaimRetryTests.this.leaseStore.releasedBy("a"));
            }

            @Override
            public void lateness(String actorType, Duration lateness) {
            }
        }));
        this.table.save(new ReminderEntry(KEY, 1,
                ReminderSchedule.every(Duration.ofSeconds(2)).startingAt(START.plusSeconds(1)), new byte[0],
                ReminderTick.first(START.plusSeconds(1), 1)));
        a.get().start();
        runUntil(START.plusMillis(1000));
        await().atMost(Duration.ofSeconds(10)).until(() -> closer.get() != null && !closer.get().isAlive());

        assertThat(this.deliveries).containsExactly("a r@1000 late 0");
        assertThat(releasedInTheGap.get()).as("a kept the bucket while the write of its tick was not submitted")
            .isNull();
        assertThat(this.table.find(KEY)).as("the next tick written before a let the bucket go")
            .hasValueSatisfying((entry) -> assertThat(entry.tick()).isEqualTo(
                    ReminderTick.first(START.plusSeconds(3), 2)));
        assertThat(this.leaseStore.releasedBy("a")).as("then released").isNotNull();
    }

    /** Whether a thread closing a manager waits in it for the manager's ticks (and writes) to end. */
    private static boolean waitsForTheTicksInClose(Thread closing) {
        StackTraceElement[] stack = closing.getStackTrace();
        for (int i = 1; i < stack.length; i++) {
            if (stack[i].getClassName().equals(ReminderTickManager.class.getName())
                    && stack[i].getMethodName().equals("close")
                    && stack[i - 1].getClassName().equals(CompletableFuture.class.getName())
                    && stack[i - 1].getMethodName().equals("get")) {
                return true;
            }
        }
        return false;
    }

    /**
     * A tick that falls due when its bucket's lease looks expired on this silo's clock is not fired, but comes back
     * at the next refresh once a late renewal kept the lease (the keeper never reported a loss, so no claim round
     * reads the bucket again), not at the next full read minutes later. The store here reports the lease valid for
     * less than it keeps it: after the renewal before the tick, only until the tick's instant, where the next
     * renewal, due at the same instant, runs after the tick (armed later: the tick was read at the start, within the
     * lookahead).
     */
    @Test
    void aTickWhoseLeaseLookedExpiredComesBackAtTheNextRefreshOnceALateRenewalKeptTheLease() {
        Duration lease = Duration.ofSeconds(3);
        Instant shortRenewal = START.plusSeconds(1);
        LeaseStore shortened = new DelegatingLeaseStore(this.leaseStore) {

            @Override
            public List<Lease> tryAcquireAny(Collection<String> resources, int max, String owner, Duration duration) {
                List<Lease> acquired = delegate().tryAcquireAny(resources, max, owner, duration);
                return acquired.stream().map((taken) -> validFor(taken, Duration.ofMillis(1500))).toList();
            }

            @Override
            public LeaseRenewal renewAll(Collection<Lease> leases, Duration duration) {
                LeaseRenewal renewal = delegate().renewAll(leases, duration);
                if (!ReminderClaimRetryTests.this.clock.instant().equals(shortRenewal)) {
                    return renewal;
                }
                return new LeaseRenewal(
                        renewal.renewed().stream().map((renewed) -> validFor(renewed, Duration.ofSeconds(1))).toList(),
                        renewal.lost());
            }

            private Lease validFor(Lease lease, Duration validity) {
                return new Lease(lease.resource(), lease.owner(), lease.token(),
                        ReminderClaimRetryTests.this.clock.instant().plus(validity));
            }
        };
        ReminderTickManager a = manager("a", this.schedulerA, this.wantedByA, ReminderMetrics.NONE, shortened, lease,
                Duration.ofSeconds(5));
        this.table.save(new ReminderEntry(KEY, 1,
                ReminderSchedule.every(Duration.ofSeconds(10)).startingAt(START.plusSeconds(2)), new byte[0],
                ReminderTick.first(START.plusSeconds(2), 1)));
        a.start();
        this.schedulerA.runDueTasks();
        assertThat(this.leaseStore.acquiredBy("a")).as("renewed every second from now").isEqualTo(START);
        runUntil(START.plusSeconds(4));
        assertThat(this.deliveries).as("fired by a refresh within its interval (1 s), here the one due at 2 s too")
            .containsExactly("a r@2000 late 0");
        assertThat(a.ownedBuckets().contains(BUCKET)).isTrue();
    }

    @Test
    void aBucketStampedAboveTheStoresTokensIsClaimedAgainWithinTheQuickRoundsAndCountedOnceAsLost() {
        this.table.stamp(Map.of(BUCKET, new FencingToken(5_000)));
        List<Integer> lost = new CopyOnWriteArrayList<>();
        List<Instant> countedAt = new CopyOnWriteArrayList<>();
        ReminderTickManager a = manager("a", this.schedulerA, this.wantedByA, new ReminderMetrics() {

            @Override
            public void ticks(String actorType, ReminderOutcome outcome, long count) {
            }

            @Override
            public void lateness(String actorType, Duration lateness) {
            }

            @Override
            public void fencingTokensLost(int buckets) {
                lost.add(buckets);
                countedAt.add(ReminderClaimRetryTests.this.clock.instant());
            }
        });
        assertThat(a.stats().fencingTokensLost()).isZero();
        assertThat(a.stats().lastFencingTokensLoss()).isNull();
        a.start();
        runUntil(START.plusMillis(500));
        assertThat(a.ownedBuckets().contains(BUCKET)).as("claimed with a token raised above the stamp").isTrue();
        assertThat(this.table.stamps(ReminderBucketSet.of(BUCKET)).get(BUCKET)).isGreaterThan(new FencingToken(5_000));
        assertThat(lost).as("the store's lost tokens counted once, for the one bucket").containsExactly(1);
        assertThat(a.stats().fencingTokensLost()).as("in the stats too").isEqualTo(1);
        assertThat(a.stats().lastFencingTokensLoss()).as("with the instant of the round that found it")
            .isEqualTo(countedAt.getFirst());
    }

    @Test
    void claimRoundsBackOffFrom25MsTo250MsAfterAChangeThenToAQuarterOfTheLease() {
        ReminderTickManager a = manager("a", this.schedulerA, this.wantedByA);
        ReminderTickManager b = manager("b", this.schedulerB, this.wantedByB);
        a.start();
        b.start();
        runUntil(START.plusMillis(100));
        this.wantedByB.set(ReminderBucketSet.of(BUCKET));
        b.ownershipChanged();
        Instant changed = this.clock.instant();
        runUntil(changed.plusSeconds(10));

        List<Duration> gaps = gaps(this.leaseStore.attemptsBy("b", changed));
        assertThat(gaps).as("every attempt: the round at the change, then the retries").hasSizeBetween(18, 34);
        assertBetween(gaps.get(0), 20, 30);
        assertBetween(gaps.get(1), 40, 60);
        assertBetween(gaps.get(2), 80, 120);
        assertBetween(gaps.get(3), 160, 240);
        for (Duration gap : gaps.subList(4, 8)) {
            assertBetween(gap, 200, 300);
        }
        assertThat(gaps.getLast()).as("past the quick window: a quarter of the lease (2.5 s, +-20 %)")
            .isBetween(Duration.ofMillis(2000), Duration.ofMillis(3000));

        // Another change of the wanted buckets starts the quick rounds again (a step first, so that no slow round
        // falls on the same instant).
        step();
        Instant changedAgain = this.clock.instant();
        this.wantedByB.set(ReminderBucketSet.of(BUCKET, (BUCKET + 1) % 1024));
        b.ownershipChanged();
        runUntil(changedAgain.plusMillis(200));
        List<Duration> again = gaps(this.leaseStore.attemptsBy("b", changedAgain));
        assertBetween(again.get(0), 20, 30);
    }

    @Test
    void aStoreThatFailsIsAskedOnlyEveryQuarterOfTheLease() {
        ReminderTickManager a = manager("a", this.schedulerA, this.wantedByA);
        ReminderTickManager b = manager("b", this.schedulerB, this.wantedByB);
        a.start();
        b.start();
        runUntil(START.plusMillis(100));
        this.leaseStore.failing.set(true);
        this.wantedByB.set(ReminderBucketSet.of(BUCKET));
        b.ownershipChanged();
        Instant changed = this.clock.instant();
        runUntil(changed.plusSeconds(10));

        List<Duration> gaps = gaps(this.leaseStore.attemptsBy("b", changed));
        assertThat(gaps).hasSizeBetween(3, 5).allSatisfy((gap) -> assertBetween(gap, 2000, 3000));
    }

    /**
     * A round asked for (by a view that does not move the silo's buckets, say) runs at once, not at the next quick
     * retry; so does one asked for while a round runs: right after it, not after a pause.
     */
    @Test
    void aRoundAskedForIsNotPutOffByThePausesOfTheQuickRetries() {
        ReminderTickManager a = manager("a", this.schedulerA, this.wantedByA);
        ReminderTickManager b = manager("b", this.schedulerB, this.wantedByB);
        a.start();
        b.start();
        runUntil(START.plusMillis(100));
        this.wantedByB.set(ReminderBucketSet.of(BUCKET));
        b.ownershipChanged();
        Instant changed = this.clock.instant();
        runUntil(changed.plusSeconds(3));
        // b retries every 250 ms (+-20 %) by now; 50 ms after one of its rounds, a view that gives b the same buckets
        // asks for a round.
        runUntilNextAttemptBy("b");
        runUntil(this.clock.instant().plusMillis(50));
        Instant asked = this.clock.instant();
        b.ownershipChanged();
        runUntil(asked.plusSeconds(1));
        List<Instant> attempts = this.leaseStore.attemptsBy("b", asked);
        assertThat(attempts.getFirst()).as("the round asked for runs at once").isEqualTo(asked);
        assertBetween(gaps(attempts).getFirst(), 200, 300);

        // A round asked for while one runs comes right after it.
        this.leaseStore.onNextAcquireBy("b", b::ownershipChanged);
        runUntilNextAttemptBy("b");
        Instant during = this.clock.instant();
        runUntil(during.plusSeconds(1));
        List<Duration> after = gaps(this.leaseStore.attemptsBy("b", during));
        assertThat(after.getFirst()).as("no pause before the round asked for during the one at " + during)
            .isEqualTo(Duration.ZERO);
        assertBetween(after.get(1), 200, 300);
    }

    /**
     * A view that moves the silo's buckets again, within the quick window of the one before, starts the pauses
     * from 25 ms again and the window again: quick rounds go on for 6 s after the second view, past the end of the
     * first one's window.
     */
    @Test
    void aViewThatMovesTheSilosBucketsAgainStartsTheQuickRetriesAndTheirWindowAgain() {
        ReminderTickManager a = manager("a", this.schedulerA, this.wantedByA);
        ReminderTickManager b = manager("b", this.schedulerB, this.wantedByB);
        a.start();
        b.start();
        runUntil(START.plusMillis(100));
        this.wantedByB.set(ReminderBucketSet.of(BUCKET));
        b.ownershipChanged();
        Instant changed = this.clock.instant();
        runUntil(changed.plusSeconds(4));
        // 50 ms after one of b's rounds, so that no round of the first window falls at the instant of the second view.
        runUntilNextAttemptBy("b");
        runUntil(this.clock.instant().plusMillis(50));
        this.wantedByB.set(ReminderBucketSet.of(BUCKET, OTHER_BUCKET));
        b.ownershipChanged();
        Instant changedAgain = this.clock.instant();
        runUntil(changedAgain.plusSeconds(10));

        List<Instant> attempts = this.leaseStore.attemptsBy("b", changedAgain);
        assertThat(attempts.getFirst()).isEqualTo(changedAgain);
        List<Duration> gaps = gaps(attempts);
        assertBetween(gaps.get(0), 20, 30);
        assertBetween(gaps.get(1), 40, 60);
        assertBetween(gaps.get(2), 80, 120);
        assertBetween(gaps.get(3), 160, 240);
        List<Duration> pastTheFirstWindow = gapsWithin(attempts, changed.plusMillis(6500), changedAgain.plusMillis(5500));
        assertThat(pastTheFirstWindow).as("still quick after the first view's window, until 6 s after the second")
            .hasSizeGreaterThan(6)
            .allSatisfy((gap) -> assertBetween(gap, 200, 300));
        assertThat(gaps.getLast()).as("past the second view's window: a quarter of the lease")
            .isBetween(Duration.ofMillis(2000), Duration.ofMillis(3000));
    }

    /**
     * A round that takes a bucket over while another wanted one is still held elsewhere starts the pauses from 25 ms
     * again: the hand-over of the silo's buckets is under way, the next may come soon.
     */
    @Test
    void aRoundThatTakesABucketOverStartsThePausesAgain() {
        ReminderTickManager a = manager("a", this.schedulerA, this.wantedByA);
        ReminderTickManager b = manager("b", this.schedulerB, this.wantedByB);
        a.start();
        b.start();
        runUntil(START.plusMillis(100));
        this.wantedByB.set(ReminderBucketSet.of(BUCKET, OTHER_BUCKET));
        b.ownershipChanged();
        runUntil(this.clock.instant().plusSeconds(3));
        assertThat(this.leaseStore.acquiredBy("b")).isNull();

        this.wantedByA.set(ReminderBucketSet.all().minus(ReminderBucketSet.of(OTHER_BUCKET)));
        a.ownershipChanged();
        runUntil(this.clock.instant().plusSeconds(2));
        Instant taken = this.leaseStore.acquiredBy("b");
        assertThat(taken).isNotNull();
        assertThat(b.ownedBuckets().contains(OTHER_BUCKET)).isTrue();
        assertThat(b.ownedBuckets().contains(BUCKET)).as("a still holds it").isFalse();
        List<Duration> gaps = gaps(this.leaseStore.attemptsBy("b", taken));
        assertBetween(gaps.get(0), 20, 30);
        assertBetween(gaps.get(1), 40, 60);
    }

    /**
     * A silo that loses the lease of a bucket it wants, long after its last change of ownership, tries to win it back
     * quickly (25 ms, doubling to 250 ms) while another holds it, then every quarter of the lease, and wins it back
     * once that lease has expired.
     */
    @Test
    void aLostLeaseStartsTheQuickRetriesAgain() {
        this.wantedByA.set(ReminderBucketSet.all().minus(ReminderBucketSet.of(BUCKET)));
        this.wantedByB.set(ReminderBucketSet.of(BUCKET));
        ReminderTickManager a = manager("a", this.schedulerA, this.wantedByA);
        ReminderTickManager b = manager("b", this.schedulerB, this.wantedByB);
        a.start();
        b.start();
        runUntil(START.plusSeconds(8));
        assertThat(b.ownedBuckets().contains(BUCKET)).isTrue();
        Instant quiet = this.clock.instant();

        this.leaseStore.giveAwayAtNextRenewal("b", "c");
        runUntil(quiet.plusSeconds(4));
        Instant lost = this.leaseStore.lostBy("b");
        assertThat(lost).as("b's renewal, every third of the lease, found its lease gone").isNotNull();
        assertThat(this.leaseStore.attemptsBy("b", quiet.minusSeconds(2))).as("b had nothing to claim before")
            .allMatch((attempt) -> !attempt.isBefore(lost));
        runUntil(lost.plusSeconds(5));
        assertThat(b.ownedBuckets().contains(BUCKET)).as("c holds it").isFalse();
        List<Duration> gaps = gaps(this.leaseStore.attemptsBy("b", lost));
        assertBetween(gaps.get(0), 20, 30);
        assertBetween(gaps.get(1), 40, 60);
        assertBetween(gaps.get(2), 80, 120);
        assertBetween(gaps.get(3), 160, 240);
        assertThat(gaps.subList(4, gaps.size())).hasSizeGreaterThan(10).allSatisfy((gap) -> assertBetween(gap, 200, 300));

        runUntil(lost.plus(LEASE).plusSeconds(4));
        assertThat(b.ownedBuckets().contains(BUCKET)).as("won back once c's lease expired").isTrue();
    }

    private static void assertBetween(Duration gap, long fromMillis, long toMillis) {
        assertThat(gap).isBetween(Duration.ofMillis(fromMillis), Duration.ofMillis(toMillis));
    }

    /** The pauses between an instant and each attempt after it, and between the attempts. */
    private static List<Duration> gaps(List<Instant> attempts) {
        List<Duration> gaps = new ArrayList<>();
        for (int i = 1; i < attempts.size(); i++) {
            gaps.add(Duration.between(attempts.get(i - 1), attempts.get(i)));
        }
        return gaps;
    }

    /** The pauses between the attempts made within a span of time. */
    private static List<Duration> gapsWithin(List<Instant> attempts, Instant from, Instant to) {
        List<Instant> within = attempts.stream().filter((at) -> !at.isBefore(from) && !at.isAfter(to)).toList();
        return gaps(within);
    }

    /** Moves the clock step by step until an owner asks the store for leases once more. */
    private void runUntilNextAttemptBy(String owner) {
        int before = this.leaseStore.attemptsBy(owner, START).size();
        Instant deadline = this.clock.instant().plusSeconds(5);
        while (this.leaseStore.attemptsBy(owner, START).size() == before) {
            assertThat(this.clock.instant()).as("no attempt by " + owner).isBefore(deadline);
            step();
        }
    }

    private ReminderTickManager manager(String owner, ManualScheduler scheduler,
            AtomicReference<ReminderBucketSet> wanted) {
        return manager(owner, scheduler, wanted, ReminderMetrics.NONE);
    }

    private ReminderTickManager manager(String owner, ManualScheduler scheduler,
            AtomicReference<ReminderBucketSet> wanted, ReminderMetrics metrics) {
        return manager(owner, scheduler, wanted, metrics, this.leaseStore, LEASE, Duration.ofSeconds(2));
    }

    private ReminderTickManager manager(String owner, ManualScheduler scheduler,
            AtomicReference<ReminderBucketSet> wanted, ReminderMetrics metrics, LeaseStore leaseStore, Duration lease,
            Duration lookahead) {
        ActorRuntime runtime = ActorRuntime.builder().clock(this.clock).scheduler(scheduler).build();
        this.closeables.add(runtime);
        ReminderTickManager manager = ReminderTickManager.builder(this.table, runtime)
            .settings(ReminderSettings.builder().refreshInterval(Duration.ofSeconds(1)).lookahead(lookahead)
                .build())
            .ownership(wanted::get)
            .delivery((actor, name, status) -> {
                this.deliveries.add(owner + " " + name + "@" + PagerEnvironment.offset(status.scheduledAt()) + " late "
                        + Duration.between(status.scheduledAt(), status.firedAt()).toMillis());
                return CompletableFuture.completedFuture(null);
            })
            .leases(leaseStore, owner, lease)
            .metrics(metrics)
            .build();
        this.closeables.add(0, manager);
        return manager;
    }

    private void runUntil(Instant instant) {
        while (this.clock.instant().isBefore(instant)) {
            step();
        }
    }

    /** Moves the shared clock one step, running b's work at its own instants, then a's. */
    private void step() {
        this.schedulerB.advance(STEP);
        this.schedulerA.runDueTasks();
    }

    /** A lease store that records when each owner asked for leases and released them, and can be made to fail. */
    private static final class RecordingLeaseStore extends DelegatingLeaseStore {

        private final ManualClock clock;

        private final List<String> calls = new CopyOnWriteArrayList<>();

        final AtomicBoolean failing = new AtomicBoolean();

        RecordingLeaseStore(LeaseStore delegate, ManualClock clock) {
            super(delegate);
            this.clock = clock;
        }

        private final AtomicReference<String> hookedOwner = new AtomicReference<>();

        private volatile Runnable hook = () -> {
        };

        private final AtomicReference<String> losingOwner = new AtomicReference<>();

        private volatile String thief = "";

        /** Runs an action inside the next call through which an owner asks for leases, once. */
        void onNextAcquireBy(String owner, Runnable action) {
            this.hook = action;
            this.hookedOwner.set(owner);
        }

        /**
         * At the next renewal of an owner's leases, gives them to another owner (for the lease duration, not renewed)
         * before renewing, so that the renewal finds them lost.
         */
        void giveAwayAtNextRenewal(String owner, String newOwner) {
            this.thief = newOwner;
            this.losingOwner.set(owner);
        }

        Instant lostBy(String owner) {
            return last("lost", owner);
        }

        /** The instants at which an owner asked for leases, the first of them at or after an instant. */
        List<Instant> attemptsBy(String owner, Instant from) {
            List<Instant> attempts = new ArrayList<>();
            for (String call : this.calls) {
                String[] parts = call.split(" ");
                Instant at = Instant.parse(parts[2]);
                if (parts[0].equals("acquire") && parts[1].equals(owner) && !at.isBefore(from)) {
                    attempts.add(at);
                }
            }
            return attempts;
        }

        Instant releasedBy(String owner) {
            return last("released", owner);
        }

        Instant acquiredBy(String owner) {
            return last("acquired", owner);
        }

        private Instant last(String kind, String owner) {
            Instant last = null;
            for (String call : this.calls) {
                String[] parts = call.split(" ");
                if (parts[0].equals(kind) && parts[1].equals(owner)) {
                    last = Instant.parse(parts[2]);
                }
            }
            return last;
        }

        @Override
        public List<Lease> tryAcquireAny(Collection<String> resources, int max, String owner, Duration duration) {
            this.calls.add("acquire " + owner + " " + this.clock.instant());
            if (this.hookedOwner.compareAndSet(owner, null)) {
                this.hook.run();
            }
            if (this.failing.get()) {
                throw new IllegalStateException("The lease store cannot be reached (test)");
            }
            List<Lease> acquired = delegate().tryAcquireAny(resources, max, owner, duration);
            if (!acquired.isEmpty()) {
                this.calls.add("acquired " + owner + " " + this.clock.instant());
            }
            return acquired;
        }

        @Override
        public LeaseRenewal renewAll(Collection<Lease> leases, Duration duration) {
            if (!leases.isEmpty() && this.losingOwner.compareAndSet(leases.iterator().next().owner(), null)) {
                for (Lease lease : leases) {
                    delegate().release(lease);
                    delegate().tryAcquire(lease.resource(), this.thief, duration);
                }
                this.calls.add("lost " + leases.iterator().next().owner() + " " + this.clock.instant());
            }
            return delegate().renewAll(leases, duration);
        }

        @Override
        public List<Lease> releaseAll(Collection<Lease> leases) {
            List<Lease> released = delegate().releaseAll(leases);
            if (!leases.isEmpty()) {
                this.calls.add("released " + leases.iterator().next().owner() + " " + this.clock.instant());
            }
            return released;
        }
    }
}
