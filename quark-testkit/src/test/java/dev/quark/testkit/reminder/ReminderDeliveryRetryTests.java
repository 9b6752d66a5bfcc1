package dev.quark.testkit.reminder;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.quark.actor.ReminderSchedule;
import dev.quark.actor.ReminderStatus;
import dev.quark.cluster.transport.SiloUnreachableException;
import dev.quark.reminder.ReminderDelivery;
import dev.quark.reminder.ReminderEntry;
import dev.quark.reminder.ReminderKey;
import dev.quark.reminder.ReminderSettings;
import dev.quark.reminder.ReminderTick;
import dev.quark.reminder.ReminderTickManager;
import dev.quark.reminder.memory.InMemoryReminderTable;
import dev.quark.runtime.ActorAddress;
import dev.quark.runtime.ActorRuntime;
import dev.quark.runtime.InvalidSettingException;
import dev.quark.testkit.ManualClock;
import dev.quark.testkit.ManualScheduler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * Ticks that do not reach their actor (its silo unreachable, a delivery that does not end) keep their scheduled
 * instant and are tried again until delivered, while a {@code receiveReminder} that throws lets the schedule go on.
 */
class ReminderDeliveryRetryTests {

    private static final Instant START = ManualClock.DEFAULT_START;

    private static final ReminderKey KEY = new ReminderKey(new ActorAddress("Pager", "p"), "r");

    private final ManualClock clock = new ManualClock();

    private final ManualScheduler scheduler = new ManualScheduler(this.clock);

    private final InMemoryReminderTable table = new InMemoryReminderTable();

    private final List<String> attempts = new CopyOnWriteArrayList<>();

    private final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable closeable : this.closeables.reversed()) {
            closeable.close();
        }
    }

    @Test
    void aTickThatDidNotReachItsActorIsTriedAgainWithItsInstantAndTheNextTickWaitsForIt() {
        ReminderTickManager manager = manager(this.scheduler, this.clock, ReminderSettings.builder()
            .initialBackoff(Duration.ofSeconds(1)).maxBackoff(Duration.ofSeconds(4)).build(), (actor, name, status) -> {
                boolean reachable = !this.clock.instant().isBefore(START.plusSeconds(17));
                this.attempts.add(describe(status) + (reachable ? "" : " unreachable"));
                return reachable ? CompletableFuture.completedFuture(null)
                        : CompletableFuture.failedFuture(new SiloUnreachableException("silo-1 is gone"));
            });
        save(ReminderSchedule.every(Duration.ofSeconds(10)).startingAt(START.plusSeconds(10)));
        manager.start();
        this.scheduler.advance(Duration.ofSeconds(16));
        assertThat(this.table.find(KEY).orElseThrow().tick()).as("the table keeps the undelivered instant")
            .isEqualTo(ReminderTick.first(START.plusSeconds(10), 1));
        this.scheduler.advance(Duration.ofSeconds(14));
        assertThat(this.attempts).containsExactly("10000 #1 unreachable", "10000 fired 11000 #2 unreachable",
                "10000 fired 13000 #3 unreachable", "10000 fired 17000 #4", "20000 #1", "30000 #1");
        assertThat(manager.stats().undelivered()).isEqualTo(3);
        assertThat(manager.stats().failed()).isZero();
        assertThat(manager.stats().delivered()).isEqualTo(3);
        assertThat(manager.stats().missed()).isZero();
    }

    @Test
    void laterInstantsNeverOvertakeAnUndeliveredOneAndThoseItOutlastedAreCountedMissed() {
        ReminderTickManager manager = manager(this.scheduler, this.clock, ReminderSettings.builder()
            .initialBackoff(Duration.ofSeconds(1)).maxBackoff(Duration.ofSeconds(1)).build(), (actor, name, status) -> {
                boolean reachable = !this.clock.instant().isBefore(START.plusMillis(3500));
                this.attempts.add(describe(status) + (reachable ? "" : " unreachable"));
                return reachable ? CompletableFuture.completedFuture(null)
                        : CompletableFuture.failedFuture(new SiloUnreachableException("silo-1 is gone"));
            });
        save(ReminderSchedule.every(Duration.ofSeconds(1)).startingAt(START.plusMillis(500)));
        manager.start();
        this.scheduler.advance(Duration.ofMillis(5600));
        assertThat(this.attempts).containsExactly("500 #1 unreachable", "500 fired 1500 #2 unreachable",
                "500 fired 2500 #3 unreachable", "500 fired 3500 #4", "4500 #1", "5500 #1");
        assertThat(manager.stats().missed()).as("1500, 2500 and 3500 fell due while 500 was retried").isEqualTo(3);
    }

    @Test
    void aReceiveReminderThatThrowsIsCountedFailedAndTheScheduleGoesOn() {
        ReminderTickManager manager = manager(this.scheduler, this.clock, ReminderSettings.DEFAULTS,
                (actor, name, status) -> {
                    this.attempts.add(describe(status));
                    return CompletableFuture.failedFuture(new IllegalStateException("the actor's own failure"));
                });
        save(ReminderSchedule.every(Duration.ofSeconds(10)).startingAt(START.plusSeconds(10)));
        manager.start();
        this.scheduler.advance(Duration.ofSeconds(20));
        assertThat(this.attempts).containsExactly("10000 #1", "20000 #1");
        assertThat(manager.stats().failed()).isEqualTo(2);
        assertThat(manager.stats().undelivered()).isZero();
    }

    /**
     * A timed-out turn may have started and may still run: trying the instant again would queue it behind that turn,
     * time out again and repeat the instant for ever. The tick counts failed and the schedule goes on.
     */
    @Test
    void aDeliveryThatDoesNotEndWithinTheDeliveryTimeoutCountsFailedAndTheScheduleGoesOn() {
        List<ReminderStatus> statuses = new CopyOnWriteArrayList<>();
        CompletableFuture<Void> hung = new CompletableFuture<>();
        ReminderTickManager manager = manager(null, Clock.systemUTC(), ReminderSettings.builder()
            .deliveryTimeout(Duration.ofMillis(200)).initialBackoff(Duration.ofMillis(50)).build(),
                (actor, name, status) -> {
                    statuses.add(status);
                    return (statuses.size() == 1) ? hung : CompletableFuture.completedFuture(null);
                });
        Instant first = Instant.now().plusMillis(100);
        save(ReminderSchedule.every(Duration.ofSeconds(1)).startingAt(first));
        manager.start();
        await().atMost(Duration.ofSeconds(10)).until(() -> manager.stats().delivered() >= 1);
        assertThat(statuses.get(1).scheduledAt()).as("the next instant, not the timed-out one again")
            .isAfter(statuses.get(0).scheduledAt());
        assertThat(statuses.get(1).attempt()).isEqualTo(1);
        assertThat(manager.stats().failed()).isEqualTo(1);
        assertThat(manager.stats().undelivered()).isZero();
        hung.complete(null);
    }

    /**
     * A one-shot reminder has no next instant to go on with: when its delivery times out (the tick may have been
     * dropped from the mailbox unrun), it is tried again after the backoff, as a new attempt the actor can tell apart,
     * up to the attempt limit, then removed.
     */
    @Test
    void aOneShotWhoseDeliveryTimedOutIsTriedAgainAsANewAttemptUpToTheLimitThenRemoved() {
        List<ReminderStatus> statuses = new CopyOnWriteArrayList<>();
        ReminderTickManager manager = manager(null, Clock.systemUTC(), ReminderSettings.builder()
            .deliveryTimeout(Duration.ofMillis(200)).initialBackoff(Duration.ofMillis(50)).maxAttempts(2).build(),
                (actor, name, status) -> {
                    statuses.add(status);
                    return new CompletableFuture<>();
                });
        save(ReminderSchedule.onceAt(Instant.now().plusMillis(100)));
        manager.start();
        await().atMost(Duration.ofSeconds(10)).until(() -> manager.stats().abandoned() == 1);
        assertThat(statuses).extracting(ReminderStatus::attempt).containsExactly(1, 2);
        assertThat(statuses.get(1).scheduledAt()).isEqualTo(statuses.get(0).scheduledAt());
        assertThat(manager.stats().failed()).isEqualTo(2);
        assertThat(manager.stats().undelivered()).isZero();
        await().atMost(Duration.ofSeconds(10)).until(() -> this.table.find(KEY).isEmpty());
    }

    /**
     * The manager cannot see the end of a turn whose call timed out (failing the call is what drops a tick still
     * queued in the mailbox), so the slot goes back at the timeout: otherwise {@code maxRunning} turns that never
     * end would stop every reminder of the silo.
     */
    @Test
    void aTimedOutTickGivesBackItsSlotSoThatATurnThatNeverEndsHoldsUpNoOtherReminder() {
        ReminderKey other = new ReminderKey(new ActorAddress("Pager", "other"), "r");
        CompletableFuture<Void> turnEnded = new CompletableFuture<>();
        List<String> delivered = new CopyOnWriteArrayList<>();
        ReminderTickManager manager = manager(null, Clock.systemUTC(), ReminderSettings.builder()
            .deliveryTimeout(Duration.ofMillis(200)).maxRunning(1).build(), (actor, name, status) -> {
                delivered.add(actor.id());
                return actor.equals(KEY.actor()) ? turnEnded.thenApply((ended) -> ended)
                        : CompletableFuture.completedFuture(null);
            });
        Instant first = Instant.now().plusMillis(100);
        save(ReminderSchedule.every(Duration.ofMinutes(1)).startingAt(first));
        this.table.save(new ReminderEntry(other, 2, ReminderSchedule.onceAt(first.plusMillis(10)), new byte[0],
                ReminderTick.first(first.plusMillis(10), 1)));
        manager.start();
        await().atMost(Duration.ofSeconds(10)).until(() -> manager.stats().delivered() == 1);
        assertThat(delivered).containsExactly("p", "other");
        assertThat(turnEnded).as("the timed-out turn still runs").isNotDone();
        assertThat(manager.stats().failed()).isEqualTo(1);
        assertThat(manager.stats().running()).isZero();
        turnEnded.complete(null);
    }

    @Test
    void theDeliveryTimeoutMustBePositive() {
        assertThatExceptionOfType(InvalidSettingException.class)
            .isThrownBy(() -> ReminderSettings.builder().deliveryTimeout(Duration.ZERO))
            .withMessageContaining("deliveryTimeout")
            .withMessageContaining("PT0S")
            .withMessageContaining("must be positive");
    }

    private ReminderTickManager manager(ManualScheduler manual, Clock clock, ReminderSettings settings,
            ReminderDelivery delivery) {
        ActorRuntime.Builder runtime = ActorRuntime.builder().clock(clock);
        if (manual != null) {
            runtime.scheduler(manual);
        }
        ActorRuntime built = runtime.build();
        this.closeables.add(built);
        ReminderTickManager manager = ReminderTickManager.builder(this.table, built)
            .settings(settings)
            .delivery(delivery)
            .build();
        this.closeables.add(manager);
        return manager;
    }

    private void save(ReminderSchedule schedule) {
        Instant first = schedule.dueAt().orElseThrow();
        this.table.save(new ReminderEntry(KEY, 1, schedule, new byte[0], ReminderTick.first(first, 1)));
    }

    private static String describe(ReminderStatus status) {
        long scheduled = PagerEnvironment.offset(status.scheduledAt());
        long fired = PagerEnvironment.offset(status.firedAt());
        return scheduled + ((fired != scheduled) ? " fired " + fired : "") + " #" + status.attempt();
    }
}
