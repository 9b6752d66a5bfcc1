package dev.quark.autoconfigure.health;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;

import dev.quark.lease.FencingToken;
import dev.quark.actor.ReminderSchedule;
import dev.quark.autoconfigure.actors.QuarkActorsAutoConfiguration;
import dev.quark.autoconfigure.backend.QuarkBackendAutoConfiguration;
import dev.quark.autoconfigure.lease.QuarkLeasesAutoConfiguration;
import dev.quark.autoconfigure.reminders.QuarkRemindersAutoConfiguration;
import dev.quark.lease.memory.InMemoryLeaseStore;
import dev.quark.reminder.DueReminders;
import dev.quark.reminder.ReminderBucketSet;
import dev.quark.reminder.ReminderEntry;
import dev.quark.reminder.ReminderKey;
import dev.quark.reminder.ReminderTable;
import dev.quark.reminder.ReminderTick;
import dev.quark.reminder.ReminderTickManager;
import dev.quark.reminder.ReminderUpdate;
import dev.quark.reminder.memory.InMemoryReminderTable;
import dev.quark.runtime.ActorAddress;
import dev.quark.runtime.ActorRuntime;
import dev.quark.testkit.ManualClock;
import dev.quark.testkit.ManualScheduler;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;

class QuarkRemindersHealthContributorAutoConfigurationTests {

    private static final int LOST_BUCKET = 17;

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(QuarkActorsAutoConfiguration.class, QuarkBackendAutoConfiguration.class, QuarkLeasesAutoConfiguration.class,
                QuarkRemindersAutoConfiguration.class, QuarkRemindersHealthContributorAutoConfiguration.class))
        .withUserConfiguration(VirtualTime.class);

    @Test
    void reportsTheTableAndTheBacklogOfOverdueReminders() {
        this.contextRunner.run((context) -> {
            InMemoryReminderTable table = context.getBean(InMemoryReminderTable.class);
            Instant past = ManualClock.DEFAULT_START.minusSeconds(3600);
            table.save(new ReminderEntry(new ReminderKey(new ActorAddress("Nobody", "n"), "r"), 1,
                    ReminderSchedule.onceAt(past), new byte[0], ReminderTick.first(past, 1)));
            Health health = context.getBean("quarkRemindersHealthIndicator", ReminderTickManagerHealthIndicator.class)
                .health();
            assertThat(health.getStatus()).isEqualTo(Status.UP);
            assertThat(health.getDetails()).containsEntry("table", "InMemoryReminderTable")
                .containsEntry("backlog", 1L)
                .containsEntry("ownedBuckets", 1024)
                .containsEntry("fencingTokensLost", 0L)
                .containsKeys("waiting", "running", "pendingWrites")
                .doesNotContainKey("lastFencingTokensLoss")
                .doesNotContainKey("lastFencingTokensRaiseHeldBack");
        });
    }

    @Test
    void showsTheBucketsWhoseLeaseStoreLostItsTokensAndWhenAndStaysUp() {
        this.contextRunner.withUserConfiguration(LeaseStoreThatLostItsTokens.class).run((context) -> {
            ReminderTickManager manager = context.getBean(ReminderTickManager.class);
            ManualScheduler scheduler = context.getBean(ManualScheduler.class);
            Instant started = context.getBean(ManualClock.class).instant();
            for (int round = 0; round < 40 && !manager.ownedBuckets().contains(LOST_BUCKET); round++) {
                scheduler.advance(Duration.ofMillis(25));
            }
            assertThat(manager.ownedBuckets().contains(LOST_BUCKET)).as("claimed again above the stamp").isTrue();

            Health health = context.getBean("quarkRemindersHealthIndicator", ReminderTickManagerHealthIndicator.class)
                .health();
            assertThat(health.getStatus()).as("repaired by the silo: nothing to take it out of service for")
                .isEqualTo(Status.UP);
            assertThat(health.getDetails()).containsEntry("fencingTokensLost", 1L)
                .containsEntry("lastFencingTokensLoss", started.toString())
                .containsEntry("ownedBuckets", 1)
                .doesNotContainKey("lastFencingTokensRaiseHeldBack");
        });
    }

    /**
     * Two lease stores on one reminder table: after the silo raised its store and claimed the bucket, the other side
     * stamped it higher. The silo's next claim of it within ten lease durations holds the raise back; the health shows
     * when, and stays {@code UP}.
     */
    @Test
    void showsWhenTheSiloHeldARaiseBackAndStaysUp() {
        this.contextRunner.withUserConfiguration(LeaseStoreThatLostItsTokens.class).run((context) -> {
            ReminderTickManager manager = context.getBean(ReminderTickManager.class);
            ManualScheduler scheduler = context.getBean(ManualScheduler.class);
            ManualClock clock = context.getBean(ManualClock.class);
            OwnedBuckets owned = context.getBean(OwnedBuckets.class);
            advanceUntil(scheduler, () -> manager.ownedBuckets().contains(LOST_BUCKET));
            owned.buckets = ReminderBucketSet.none();
            manager.ownershipChanged();
            advanceUntil(scheduler, () -> owned.leaseStore.holder("reminders:" + LOST_BUCKET).isEmpty());

            context.getBean(InMemoryReminderTable.class).stamp(Map.of(LOST_BUCKET, new FencingToken(9_000)));
            Instant stampedAbove = clock.instant();
            owned.buckets = ReminderBucketSet.of(LOST_BUCKET);
            manager.ownershipChanged();
            ReminderTickManagerHealthIndicator indicator = context.getBean("quarkRemindersHealthIndicator",
                    ReminderTickManagerHealthIndicator.class);
            advanceUntil(scheduler, () -> indicator.health().getDetails().containsKey("lastFencingTokensRaiseHeldBack"));

            Health health = indicator.health();
            assertThat(health.getStatus()).isEqualTo(Status.UP);
            assertThat(Instant.parse((String) health.getDetails().get("lastFencingTokensRaiseHeldBack")))
                .isAfterOrEqualTo(stampedAbove);
            assertThat(health.getDetails()).containsEntry("fencingTokensLost", 2L).containsEntry("ownedBuckets", 0);
            assertThat(manager.ownedBuckets().contains(LOST_BUCKET)).as("not claimed: the store was not raised again")
                .isFalse();
        });
    }

    /** Moves virtual time on while the claim rounds' lease calls run on their own thread, until the condition holds. */
    private static void advanceUntil(ManualScheduler scheduler, BooleanSupplier condition) {
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> {
            scheduler.advance(Duration.ofMillis(25));
            return condition.getAsBoolean();
        });
    }

    @Test
    void aTableThatCannotBeReadIsDownWithTheError() {
        this.contextRunner.withBean(ReminderTable.class, BrokenTable::new).run((context) -> {
            Health health = new ReminderTickManagerHealthIndicator(context.getBean(ReminderTickManager.class),
                    Clock.fixed(Instant.EPOCH, ZoneOffset.UTC))
                .health();
            assertThat(health.getStatus()).isEqualTo(Status.DOWN);
            assertThat(health.getDetails().get("error").toString()).contains("relation \"quark_reminders\" does not exist");
        });
    }

    @Test
    void aTickManagerThatDoesNotRunIsOutOfService() {
        this.contextRunner.run((context) -> {
            ReminderTickManager stopped = ReminderTickManager.builder(new InMemoryReminderTable(),
                    context.getBean(ActorRuntime.class)).build();
            Health health = new ReminderTickManagerHealthIndicator(stopped, Clock.systemUTC()).health();
            assertThat(health.getStatus()).isEqualTo(Status.OUT_OF_SERVICE);
            stopped.close();
        });
    }

    @Test
    void canBeDisabled() {
        this.contextRunner.withPropertyValues("management.health.quark-reminders.enabled=false")
            .run((context) -> assertThat(context).doesNotHaveBean("quarkRemindersHealthIndicator"));
    }

    @Test
    void notCreatedWithoutReminders() {
        this.contextRunner.withPropertyValues("quark.reminders.enabled=false")
            .run((context) -> assertThat(context).doesNotHaveBean("quarkRemindersHealthIndicator"));
    }

    @Configuration(proxyBeanMethods = false)
    static class VirtualTime {

        @Bean
        ManualClock manualClock() {
            return new ManualClock();
        }

        @Bean
        ManualScheduler manualScheduler(ManualClock clock) {
            return new ManualScheduler(clock);
        }
    }

    /**
     * A silo holding one bucket through leases, on a table that kept the stamp of a token the lease store issued
     * before it lost its tokens (the store starts again from 1).
     */
    @Configuration(proxyBeanMethods = false)
    static class LeaseStoreThatLostItsTokens {

        @Bean
        InMemoryReminderTable reminderTable() {
            InMemoryReminderTable table = new InMemoryReminderTable();
            table.stamp(Map.of(LOST_BUCKET, new FencingToken(5_000)));
            return table;
        }

        @Bean
        OwnedBuckets ownedBuckets(ManualClock clock) {
            return new OwnedBuckets(new InMemoryLeaseStore(clock));
        }

        @Bean
        ReminderTickManager reminderTickManager(ReminderTable table, ActorRuntime runtime, OwnedBuckets owned) {
            return ReminderTickManager.builder(table, runtime)
                .ownership(() -> owned.buckets)
                .leases(owned.leaseStore, "silo-1", Duration.ofSeconds(10))
                .build();
        }
    }

    /** The buckets the silo owns, which a test changes as a view change would, and the store of their leases. */
    static final class OwnedBuckets {

        final InMemoryLeaseStore leaseStore;

        volatile ReminderBucketSet buckets = ReminderBucketSet.of(LOST_BUCKET);

        OwnedBuckets(InMemoryLeaseStore leaseStore) {
            this.leaseStore = leaseStore;
        }
    }

    private static final class BrokenTable implements ReminderTable {

        private static IllegalStateException down() {
            return new IllegalStateException("relation \"quark_reminders\" does not exist");
        }

        @Override
        public void save(ReminderEntry entry) {
            throw down();
        }

        @Override
        public Optional<ReminderEntry> find(ReminderKey key) {
            throw down();
        }

        @Override
        public List<ReminderEntry> list(ActorAddress actor) {
            throw down();
        }

        @Override
        public boolean delete(ReminderKey key) {
            throw down();
        }

        @Override
        public DueReminders due(ReminderBucketSet buckets, Instant before, int limit) {
            throw down();
        }

        @Override
        public ReminderBucketSet stamp(Map<Integer, FencingToken> tokens) {
            throw down();
        }

        @Override
        public int apply(List<ReminderUpdate> updates) {
            throw down();
        }

        @Override
        public long countDue(ReminderBucketSet buckets, Instant before) {
            throw down();
        }
    }
}
