package dev.quark.testkit.reminder;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.IntStream;

import dev.quark.actor.ReminderSchedule;
import dev.quark.lease.FencingToken;
import dev.quark.lease.Lease;
import dev.quark.lease.LeaseHolder;
import dev.quark.lease.LeaseRenewal;
import dev.quark.lease.LeaseStore;
import dev.quark.lease.memory.InMemoryLeaseStore;
import dev.quark.reminder.ReminderBucketSet;
import dev.quark.reminder.ReminderBuckets;
import dev.quark.reminder.ReminderKey;
import dev.quark.reminder.ReminderSettings;
import dev.quark.reminder.ReminderTable;
import dev.quark.reminder.ReminderTickManager;
import dev.quark.runtime.ActorAddress;
import dev.quark.testkit.ManualClock;
import dev.quark.testkit.ManualScheduler;
import dev.quark.testkit.cluster.TestCluster;
import dev.quark.testkit.cluster.TestSilo;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A full cluster restart, in virtual time, on a table each backend gives: three silos of a {@link TestCluster} fire
 * periodic, cron and one-shot reminders; every silo stops (gracefully, or crashes); while none runs, ticks fall due;
 * a new set of three silos starts on the same table (and the same bucket lease store, which a real cluster keeps on
 * its backend too). Every reminder fires again: a periodic or cron one missed while no silo ran fires once on
 * recovery with the first instant it missed, then goes on with its schedule, the instants in between counted missed
 * and never delivered (no flood); a one-shot due during the outage fires once, late, and is removed. Each delivery
 * is recorded per reminder and scheduled instant, so that a lost or doubled instant shows.
 */
abstract class ReminderClusterRestartTests {

    private static final Duration PERIOD = Duration.ofSeconds(10);

    private static final Duration LEASE = Duration.ofSeconds(3);

    private static final ReminderSettings SETTINGS = ReminderSettings.builder().refreshInterval(Duration.ofSeconds(1))
        .lookahead(Duration.ofSeconds(2)).build();

    private static final int PERIODIC = 30;

    private static final int ONE_SHOTS = 6;

    private static final int CRON = 3;

    /** Every 10 seconds of the minute: 00:00:10, 00:00:20, ... on the test's clock. */
    private static final String EVERY_TEN_SECONDS = "*/10 * * * * *";

    /** When the silos stop, from the registrations: after the ticks at 10 s and 20 s (+ up to 0.9 s). */
    private static final Duration STOP_AFTER = Duration.ofSeconds(25);

    /** How long no silo runs: the ticks at 30, 40, 50 and 60 s and the one-shots at 40 s fall due meanwhile. */
    private static final Duration OUTAGE = Duration.ofSeconds(39);

    /** How long the new silos run: the ticks at 70, 80 and 90 s fall due on schedule. */
    private static final Duration AFTER_RESTART = Duration.ofSeconds(31);

    private final ManualClock clock = new ManualClock();

    private final ManualScheduler scheduler = new ManualScheduler(this.clock);

    private final PagerEnvironment environment = new PagerEnvironment(this.clock);

    private final ReplaceableLeaseStore leases = new ReplaceableLeaseStore(new InMemoryLeaseStore(this.clock));

    @AutoClose
    private TestCluster cluster;

    private ReminderTable table;

    /**
     * Returns the table the silos share: a new, empty one, or one where no test of the class left reminders of the
     * actors used here.
     * @return the table
     */
    protected abstract ReminderTable table();

    @Test
    void afterEverySiloStoppedANewSetFiresEveryReminderAgainCatchingUpOnceOnWhatFellDueMeanwhile() {
        restartAfter(this::stopEverySilo);
    }

    @Test
    void afterEverySiloCrashedANewSetFiresEveryReminderAgainCatchingUpOnceOnWhatFellDueMeanwhile() {
        restartAfter(this::killEverySilo);
    }

    /**
     * The first silos' lease store had issued many tokens (a cluster that ran for long), so the table's bucket
     * stamps are high; while no silo runs, the store loses its tokens (Redis restarted without persistence), and the
     * new silos are granted tokens from 1 on, below every stamp. Without raising the store's tokens the table refuses
     * every stamp and no reminder fires again until the store has issued a million tokens.
     */
    @Test
    void aNewSetOfSilosWhoseLeaseStoreLostItsTokensRaisesThemAboveTheStampsAndFiresEveryReminderAgain() {
        InMemoryLeaseStore longRunning = new InMemoryLeaseStore(this.clock);
        longRunning.raiseTokensAbove("reminders:0", new FencingToken(1_000_000));
        this.leases.replaceWith(longRunning);
        ReminderBucketSet all = ReminderBucketSet.of(IntStream.range(0, ReminderBuckets.COUNT).boxed().toList());
        Map<Integer, FencingToken> before = new HashMap<>();
        restartAfter(() -> {
            killEverySilo();
            before.putAll(this.table.stamps(all));
            this.leases.replaceWith(new InMemoryLeaseStore(this.clock));
        });
        assertThat(before).as("the old silos stamped every bucket").hasSize(ReminderBuckets.COUNT);
        Map<Integer, FencingToken> after = this.table.stamps(all);
        assertThat(after).as("every bucket stamped by the new silos").hasSize(ReminderBuckets.COUNT);
        after.forEach((bucket, stamp) -> assertThat(stamp).as("bucket %d stamped above its old stamp", bucket)
            .isGreaterThan(before.get(bucket)));
    }

    /** Stops every silo gracefully: each writes its next ticks and releases its buckets' leases. */
    private void stopEverySilo() {
        for (TestSilo silo : this.cluster.runningSilos()) {
            this.cluster.stopSilo(silo.index());
        }
    }

    /**
     * Kills every silo once its ticks are written (so that no instant is delivered again, which a crash between a
     * delivery and its write allows), and declares them dead, as the new silos' failure detection would: their leases
     * are neither released nor renewed, and expire while no silo runs.
     */
    private void killEverySilo() {
        await().atMost(Duration.ofSeconds(10))
            .until(() -> this.cluster.runningSilos()
                .stream()
                .map((silo) -> silo.reminders().stats())
                .allMatch((stats) -> stats.running() == 0 && stats.pendingWrites() == 0));
        List<TestSilo> silos = this.cluster.runningSilos();
        for (TestSilo silo : silos) {
            this.cluster.killSilo(silo.index());
        }
        for (TestSilo silo : silos) {
            this.cluster.declareDead(silo.index());
        }
    }

    private void restartAfter(Runnable stopEverySilo) {
        ReminderTable table = table();
        this.table = table;
        this.cluster = TestCluster.builder()
            .silos(3)
            .clock(this.clock)
            .actor(PagerActor.class, () -> new PagerActor(this.environment))
            .runtime((runtime) -> runtime.scheduler(this.scheduler).idleTimeout(Duration.ofDays(400)))
            .reminders(table, SETTINGS, LEASE, this.leases)
            .build();
        settle(3);
        long base = PagerEnvironment.offset(this.clock.instant());
        String nonce = Long.toString(System.nanoTime(), 36);
        List<String> periodic = new ArrayList<>();
        for (int i = 0; i < PERIODIC; i++) {
            String id = "restart-" + nonce + "-p" + i;
            periodic.add(id);
            this.cluster.silo(i % 3).get(Pager.class, id).everyFrom("beat", PERIOD.toMillis(),
                    ManualClock.DEFAULT_START.toEpochMilli() + first(base, i));
        }
        List<String> oneShots = new ArrayList<>();
        for (int i = 0; i < ONE_SHOTS; i++) {
            String id = "restart-" + nonce + "-o" + i;
            oneShots.add(id);
            this.cluster.silo(i % 3).get(Pager.class, id).page("once",
                    ReminderSchedule.onceAt(ManualClock.DEFAULT_START.plusMillis(oneShotAt(base, i))));
        }
        List<String> cron = new ArrayList<>();
        for (int i = 0; i < CRON; i++) {
            String id = "restart-" + nonce + "-c" + i;
            cron.add(id);
            this.cluster.silo(i % 3).get(Pager.class, id).page("cron",
                    ReminderSchedule.cron(EVERY_TEN_SECONDS, ZoneOffset.UTC));
        }
        long firstCron = (base / PERIOD.toMillis() + 1) * PERIOD.toMillis();
        run(STOP_AFTER);
        for (int i = 0; i < PERIODIC; i++) {
            assertThat(deliveriesOf(periodic.get(i) + "/beat@")).as("before the stop")
                .containsExactly(onTime(first(base, i)), onTime(first(base, i) + PERIOD.toMillis()));
        }

        stopEverySilo.run();
        assertThat(this.cluster.runningSilos()).isEmpty();
        int deliveredBeforeTheOutage = this.environment.log().size();
        run(OUTAGE);
        assertThat(this.environment.log()).as("no silo runs, nothing fires").hasSize(deliveredBeforeTheOutage);

        long restartedAt = PagerEnvironment.offset(this.clock.instant());
        for (int i = 0; i < 3; i++) {
            this.cluster.addSilo();
        }
        settle(3);
        run(AFTER_RESTART);

        for (int i = 0; i < PERIODIC; i++) {
            long first = first(base, i);
            List<String> deliveries = deliveriesOf(periodic.get(i) + "/beat@");
            assertThat(deliveries).as("every instant once: those before the stop, the first missed one late, then the "
                    + "schedule from the restart on; the instants between counted missed, not delivered")
                .hasSize(6)
                .startsWith(onTime(first), onTime(first + PERIOD.toMillis()))
                .endsWith(onTime(first + 6 * PERIOD.toMillis()), onTime(first + 7 * PERIOD.toMillis()),
                        onTime(first + 8 * PERIOD.toMillis()));
            assertFiredLateOnRecovery(deliveries.get(2), first + 2 * PERIOD.toMillis(), restartedAt);
            assertThat(table.find(new ReminderKey(new ActorAddress("Pager", periodic.get(i)), "beat")))
                .as("still registered, its next tick on schedule")
                .hasValueSatisfying((entry) -> assertThat(PagerEnvironment.offset(entry.tick().scheduledAt()))
                    .isEqualTo(first + 9 * PERIOD.toMillis()));
        }
        for (String id : cron) {
            List<String> deliveries = deliveriesOf(id + "/cron@");
            assertThat(deliveries).as("a cron reminder catches up the same way")
                .hasSize(6)
                .startsWith(onTime(firstCron), onTime(firstCron + PERIOD.toMillis()))
                .endsWith(onTime(firstCron + 6 * PERIOD.toMillis()), onTime(firstCron + 7 * PERIOD.toMillis()),
                        onTime(firstCron + 8 * PERIOD.toMillis()));
            assertFiredLateOnRecovery(deliveries.get(2), firstCron + 2 * PERIOD.toMillis(), restartedAt);
        }
        for (int i = 0; i < ONE_SHOTS; i++) {
            List<String> deliveries = deliveriesOf(oneShots.get(i) + "/once@");
            assertThat(deliveries).as("a one-shot due during the outage fires once, on recovery").hasSize(1);
            assertFiredLateOnRecovery(deliveries.get(0), oneShotAt(base, i), restartedAt);
            assertThat(table.find(new ReminderKey(new ActorAddress("Pager", oneShots.get(i)), "once")))
                .as("removed after its tick").isEmpty();
        }
        List<ReminderTickManager.Stats> stats = this.cluster.runningSilos()
            .stream()
            .map((silo) -> silo.reminders().stats())
            .toList();
        assertThat(stats.stream().mapToLong(ReminderTickManager.Stats::missed).sum())
            .as("the ticks at 40, 50 and 60 s of each periodic and cron reminder").isEqualTo(3L * (PERIODIC + CRON));
        assertThat(stats.stream().mapToLong(ReminderTickManager.Stats::delivered).sum())
            .as("per periodic and cron reminder the catch-up and three on schedule, and the one-shots")
            .isEqualTo(4L * (PERIODIC + CRON) + ONE_SHOTS);
        assertThat(stats.stream().mapToLong(ReminderTickManager.Stats::skipped).sum()).isZero();
        assertThat(stats.stream().mapToInt(ReminderTickManager.Stats::ownedBuckets).sum())
            .isEqualTo(ReminderBuckets.COUNT);
    }

    /** The offset of the first tick of the i-th periodic reminder: a period after the registrations, spread. */
    private static long first(long base, int i) {
        return base + PERIOD.toMillis() + (i % 10) * 100L;
    }

    /** The offset of the i-th one-shot reminder: 15 s after the stop, while no silo runs. */
    private static long oneShotAt(long base, int i) {
        return base + STOP_AFTER.toMillis() + 15_000 + i * 100L;
    }

    private static String onTime(long scheduled) {
        return String.valueOf(scheduled);
    }

    /** What follows the {@code @} in the log of each delivery of a reminder: the instant, and when fired late. */
    private List<String> deliveriesOf(String prefix) {
        return this.environment.log()
            .stream()
            .filter((line) -> line.startsWith(prefix))
            .map((line) -> line.substring(prefix.length()))
            .toList();
    }

    /** A delivery of the instant, first attempt, fired by the new silos shortly after they started. */
    private static void assertFiredLateOnRecovery(String delivery, long scheduled, long restartedAt) {
        String firedPrefix = scheduled + " fired ";
        assertThat(delivery).as("the first missed instant, fired late").startsWith(firedPrefix).doesNotContain("#");
        long fired = Long.parseLong(delivery.substring(firedPrefix.length()));
        assertThat(fired).as("fired on recovery").isBetween(restartedAt, restartedAt + 3_000);
    }

    /** Waits until every running silo sees the same number of silos, then until they hold every bucket's lease. */
    private void settle(int silos) {
        await().atMost(Duration.ofSeconds(10))
            .until(() -> this.cluster.runningSilos()
                .stream()
                .allMatch((silo) -> silo.views().current().ring().silos().size() == silos));
        this.cluster.runningSilos().forEach((silo) -> silo.reminders().ownershipChanged());
        this.scheduler.runDueTasks();
        Instant deadline = this.clock.instant().plusSeconds(10);
        while (this.cluster.runningSilos().stream().mapToInt((silo) -> silo.reminders().ownedBuckets().size()).sum()
                < ReminderBuckets.COUNT && this.clock.instant().isBefore(deadline)) {
            this.scheduler.advance(Duration.ofMillis(100));
        }
    }

    private void run(Duration duration) {
        Instant end = this.clock.instant().plus(duration);
        this.scheduler.runDueTasks();
        while (this.clock.instant().isBefore(end)) {
            this.scheduler.advance(Duration.ofMillis(100));
        }
    }

    /** The silos' lease store, which a test replaces while no silo runs: what a lease store that lost its data is. */
    private static final class ReplaceableLeaseStore implements LeaseStore {

        private volatile LeaseStore current;

        ReplaceableLeaseStore(LeaseStore first) {
            this.current = first;
        }

        void replaceWith(LeaseStore store) {
            this.current = store;
        }

        @Override
        public Optional<Lease> tryAcquire(String resource, String owner, Duration duration) {
            return this.current.tryAcquire(resource, owner, duration);
        }

        @Override
        public List<Lease> tryAcquireAny(Collection<String> resources, int max, String owner, Duration duration) {
            return this.current.tryAcquireAny(resources, max, owner, duration);
        }

        @Override
        public Optional<Lease> renew(Lease lease, Duration duration) {
            return this.current.renew(lease, duration);
        }

        @Override
        public LeaseRenewal renewAll(Collection<Lease> leases, Duration duration) {
            return this.current.renewAll(leases, duration);
        }

        @Override
        public boolean release(Lease lease) {
            return this.current.release(lease);
        }

        @Override
        public List<Lease> releaseAll(Collection<Lease> leases) {
            return this.current.releaseAll(leases);
        }

        @Override
        public Optional<LeaseHolder> holder(String resource) {
            return this.current.holder(resource);
        }

        @Override
        public void raiseTokensAbove(String resource, FencingToken token) {
            this.current.raiseTokensAbove(resource, token);
        }

        @Override
        public void check(String resource, FencingToken token) {
            this.current.check(resource, token);
        }
    }
}
