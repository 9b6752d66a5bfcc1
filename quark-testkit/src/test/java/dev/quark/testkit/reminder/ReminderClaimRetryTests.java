package dev.quark.testkit.reminder;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;

import dev.quark.actor.ReminderSchedule;
import dev.quark.lease.memory.InMemoryLeaseStore;
import dev.quark.reminder.ReminderBucketSet;
import dev.quark.reminder.ReminderEntry;
import dev.quark.reminder.ReminderKey;
import dev.quark.reminder.ReminderSettings;
import dev.quark.reminder.ReminderTick;
import dev.quark.reminder.ReminderTickManager;
import dev.quark.reminder.memory.InMemoryReminderTable;
import dev.quark.runtime.ActorAddress;
import dev.quark.runtime.ActorRuntime;
import dev.quark.testkit.ManualClock;
import dev.quark.testkit.ManualScheduler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * How soon a silo takes over a reminder bucket that its previous owner lets go, in virtual time: the claim round
 * that found the bucket still held tries again within a quarter of a second, not a quarter of the lease duration.
 */
class ReminderClaimRetryTests {

    private static final Instant START = ManualClock.DEFAULT_START;

    private static final Duration LEASE = Duration.ofSeconds(10);

    private static final Duration STEP = Duration.ofMillis(5);

    private static final ReminderKey KEY = new ReminderKey(new ActorAddress("Pager", "handed-over"), "r");

    private static final int BUCKET = KEY.bucket();

    private final ManualClock clock = new ManualClock();

    private final ManualScheduler schedulerA = new ManualScheduler(this.clock);

    private final ManualScheduler schedulerB = new ManualScheduler(this.clock);

    private final InMemoryReminderTable table = new InMemoryReminderTable();

    private final InMemoryLeaseStore leaseStore = new InMemoryLeaseStore(this.clock);

    private final List<AutoCloseable> closeables = new ArrayList<>();

    private final List<String> deliveries = new CopyOnWriteArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable closeable : this.closeables) {
            closeable.close();
        }
    }

    @Test
    void aBucketItsPreviousOwnerLetsGoIsTakenOverWithinAQuarterOfASecondAndNoTickIsLate() {
        AtomicReference<ReminderBucketSet> wantedByA = new AtomicReference<>(ReminderBucketSet.all());
        AtomicReference<ReminderBucketSet> wantedByB = new AtomicReference<>(ReminderBucketSet.none());
        ReminderTickManager a = manager("a", this.schedulerA, wantedByA);
        ReminderTickManager b = manager("b", this.schedulerB, wantedByB);
        this.table.save(new ReminderEntry(KEY, 1,
                ReminderSchedule.every(Duration.ofSeconds(2)).startingAt(START.plusSeconds(1)), new byte[0],
                ReminderTick.first(START.plusSeconds(1), 1)));
        a.start();
        b.start();
        runUntil(START.plusMillis(1500));
        assertThat(a.ownedBuckets().contains(BUCKET)).isTrue();
        assertThat(this.deliveries).containsExactly("a r@1000 late 0");

        // b learns the new view first: its claim finds the bucket still held by a.
        wantedByB.set(ReminderBucketSet.of(BUCKET));
        b.ownershipChanged();
        runUntil(START.plusMillis(2000));
        assertThat(b.ownedBuckets().contains(BUCKET)).as("a still holds it").isFalse();

        // a learns it half a second later and lets the bucket go at once (no tick of it runs).
        wantedByA.set(ReminderBucketSet.all().minus(ReminderBucketSet.of(BUCKET)));
        a.ownershipChanged();
        Instant released = this.clock.instant();
        while (!b.ownedBuckets().contains(BUCKET) && this.clock.instant().isBefore(START.plusSeconds(10))) {
            step();
        }
        assertThat(Duration.between(released, this.clock.instant()))
            .as("b tries again within a quarter of a second, not a quarter of the lease (2.5 s)")
            .isLessThanOrEqualTo(Duration.ofMillis(250));

        runUntil(START.plusMillis(5500));
        assertThat(this.deliveries).as("the tick due after the hand-over fires on b, on time")
            .containsExactly("a r@1000 late 0", "b r@3000 late 0", "b r@5000 late 0");
    }

    private ReminderTickManager manager(String owner, ManualScheduler scheduler,
            AtomicReference<ReminderBucketSet> wanted) {
        ActorRuntime runtime = ActorRuntime.builder().clock(this.clock).scheduler(scheduler).build();
        this.closeables.add(runtime);
        ReminderTickManager manager = ReminderTickManager.builder(this.table, runtime)
            .settings(ReminderSettings.builder().refreshInterval(Duration.ofSeconds(1)).lookahead(Duration.ofSeconds(2))
                .build())
            .ownership(wanted::get)
            .delivery((actor, name, status) -> {
                this.deliveries.add(owner + " " + name + "@" + PagerEnvironment.offset(status.scheduledAt()) + " late "
                        + Duration.between(status.scheduledAt(), status.firedAt()).toMillis());
                return CompletableFuture.completedFuture(null);
            })
            .leases(this.leaseStore, owner, LEASE)
            .build();
        this.closeables.add(0, manager);
        return manager;
    }

    private void runUntil(Instant instant) {
        while (this.clock.instant().isBefore(instant)) {
            step();
        }
    }

    /** Moves the shared clock one step and runs what fell due on both silos. */
    private void step() {
        this.schedulerA.advance(STEP);
        this.schedulerB.runDueTasks();
    }
}
