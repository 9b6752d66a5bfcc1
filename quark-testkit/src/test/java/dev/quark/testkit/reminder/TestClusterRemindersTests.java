package dev.quark.testkit.reminder;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

import dev.quark.actor.ReminderSchedule;
import dev.quark.cluster.ring.HashRing;
import dev.quark.reminder.ReminderBuckets;
import dev.quark.reminder.ReminderSettings;
import dev.quark.reminder.ReminderKey;
import dev.quark.reminder.memory.InMemoryReminderTable;
import dev.quark.runtime.ActorAddress;
import dev.quark.testkit.ManualClock;
import dev.quark.testkit.ManualScheduler;
import dev.quark.testkit.cluster.TestCluster;
import dev.quark.testkit.cluster.TestSilo;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.awaitility.Awaitility.await;

/**
 * Reminders on a {@link TestCluster} built with {@code reminders()}: every silo has a registry and a tick manager
 * on one table, the buckets are split by the ring under leases, and a registration made on a silo that does not
 * fire its bucket reaches the silo that does at once, not at its next read of the table.
 */
class TestClusterRemindersTests {

    /** Far longer than any test here runs: only a notice can bring a registration made elsewhere in time. */
    private static final ReminderSettings SLOW_REFRESH = ReminderSettings.builder().lookahead(Duration.ofHours(2))
        .refreshInterval(Duration.ofHours(1)).build();

    private final ManualClock clock = new ManualClock();

    private final ManualScheduler scheduler = new ManualScheduler(this.clock);

    private final PagerEnvironment environment = new PagerEnvironment(this.clock);

    @AutoClose
    private TestCluster cluster;

    private TestCluster cluster(int silos) {
        this.cluster = TestCluster.builder()
            .silos(silos)
            .clock(this.clock)
            .actor(PagerActor.class, () -> new PagerActor(this.environment))
            .runtime((runtime) -> runtime.scheduler(this.scheduler).idleTimeout(Duration.ofDays(400)))
            .reminders(new InMemoryReminderTable(), SLOW_REFRESH, Duration.ofSeconds(3))
            .build();
        settle(silos);
        return this.cluster;
    }

    @Test
    void aReminderRegisteredOnASiloThatDoesNotFireItsBucketFiresOnTimeLongBeforeTheNextRefresh() {
        cluster(3);
        String id = actorWhoseBucketIsFiredElsewhere();
        TestSilo owner = bucketOwnerOf(id);
        long now = PagerEnvironment.offset(this.clock.instant());
        // The schedule crosses from silo-0 to the actor's silo as a call argument.
        this.cluster.silo(0).get(Pager.class, id).page("soon", ReminderSchedule.once(Duration.ofSeconds(2)));
        await().atMost(Duration.ofSeconds(10)).until(() -> owner.reminders().stats().waiting() == 1);
        run(Duration.ofSeconds(2));
        assertThat(this.environment.log()).containsExactly(id + "/soon@" + (now + 2000));
        assertThat(owner.reminders().stats().delivered()).isEqualTo(1);
    }

    @Test
    void aReminderRemovedOnAnotherSiloIsForgottenByTheSiloThatFiresItsBucket() {
        cluster(3);
        String id = actorWhoseBucketIsFiredElsewhere();
        TestSilo owner = bucketOwnerOf(id);
        Pager pager = this.cluster.silo(0).get(Pager.class, id);
        long now = PagerEnvironment.offset(this.clock.instant());
        pager.every("beat", Duration.ofSeconds(1));
        await().atMost(Duration.ofSeconds(10)).until(() -> owner.reminders().stats().waiting() == 1);
        run(Duration.ofSeconds(2));
        String first = id + "/beat@" + (now + 1000);
        String second = id + "/beat@" + (now + 2000);
        assertThat(this.environment.log()).containsExactly(first, second);
        assertThat(pager.stop("beat")).isTrue();
        await().atMost(Duration.ofSeconds(10)).until(() -> owner.reminders().stats().waiting() == 0);
        run(Duration.ofSeconds(5));
        assertThat(this.environment.log()).containsExactly(first, second);
    }

    @Test
    void everySiloFiresTheBucketsItsRingGivesItAndAStoppedSilosBucketsMoveToTheOthers() {
        cluster(3);
        assertThat(this.cluster.runningSilos().stream().mapToInt((silo) -> silo.reminders().ownedBuckets().size()).sum())
            .isEqualTo(ReminderBuckets.COUNT);
        for (TestSilo silo : this.cluster.runningSilos()) {
            assertThat(silo.reminders().ownedBuckets().size()).as(silo.siloId()).isPositive();
        }
        String id = "stays";
        long now = PagerEnvironment.offset(this.clock.instant());
        this.cluster.silo(0).get(Pager.class, id).every("beat", Duration.ofSeconds(10));
        TestSilo owner = bucketOwnerOf(id);
        run(Duration.ofSeconds(10));
        this.cluster.stopSilo(owner.index());
        settle(2);
        run(Duration.ofSeconds(20));
        assertThat(this.environment.log()).containsExactly("stays/beat@" + (now + 10_000), "stays/beat@" + (now + 20_000),
                "stays/beat@" + (now + 30_000));
        assertThat(this.cluster.runningSilos().stream().mapToInt((silo) -> silo.reminders().ownedBuckets().size()).sum())
            .isEqualTo(ReminderBuckets.COUNT);
        assertThat(this.cluster.reminderTable().find(new ReminderKey(new ActorAddress("Pager", id),
                "beat"))).isPresent();
    }

    @Test
    void withoutRemindersASiloSaysHowToTurnThemOn() {
        this.cluster = TestCluster.builder().silos(1).actor(PagerActor.class, () -> new PagerActor(this.environment))
            .build();
        assertThatIllegalStateException().isThrownBy(() -> this.cluster.silo(0).reminders())
            .withMessage("Silo silo-0 fires no reminders: build the test cluster with TestCluster.builder().reminders()");
        assertThatIllegalStateException().isThrownBy(() -> this.cluster.reminderTable())
            .withMessage("The test cluster has no reminders: build it with TestCluster.builder().reminders()");
        assertThatIllegalArgumentException()
            .isThrownBy(() -> TestCluster.builder().reminders(new InMemoryReminderTable(), SLOW_REFRESH,
                    Duration.ofMillis(99)))
            .withMessage("The reminder lease duration must be at least 100ms, was PT0.099S");
    }

    private String actorWhoseBucketIsFiredElsewhere() {
        HashRing ring = this.cluster.silo(0).views().current().ring();
        for (int i = 0; i < 10_000; i++) {
            ActorAddress actor = new ActorAddress("Pager", "n-" + i);
            String actorSilo = ring.ownerOf(actor);
            String bucketSilo = ring.ownerOf(ReminderBuckets.firstHash(ReminderBuckets.of(actor)));
            if (actorSilo != null && bucketSilo != null && !actorSilo.equals(bucketSilo) && !"silo-0".equals(actorSilo)) {
                return actor.id();
            }
        }
        throw new IllegalStateException("No actor lives away from its bucket's silo");
    }

    private TestSilo bucketOwnerOf(String id) {
        HashRing ring = this.cluster.silo(0).views().current().ring();
        String owner = Objects.requireNonNull(ring.ownerOf(ReminderBuckets.firstHash(ReminderBuckets.of(
                new ActorAddress("Pager", id)))));
        return this.cluster.runningSilos().stream().filter((silo) -> silo.siloId().equals(owner)).findFirst()
            .orElseThrow();
    }

    /** Waits until every running silo sees the same number of silos and holds the leases of its buckets. */
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
}
