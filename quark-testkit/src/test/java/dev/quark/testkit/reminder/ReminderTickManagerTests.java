package dev.quark.testkit.reminder;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import dev.quark.LogCapture;
import dev.quark.lease.FencingToken;
import dev.quark.actor.ReminderSchedule;
import dev.quark.reminder.DueReminders;
import dev.quark.reminder.ReminderBucketSet;
import dev.quark.reminder.ReminderBuckets;
import dev.quark.reminder.ReminderEntry;
import dev.quark.reminder.ReminderKey;
import dev.quark.reminder.ReminderMetrics;
import dev.quark.reminder.ReminderOutcome;
import dev.quark.reminder.ReminderRegistry;
import dev.quark.reminder.ReminderSettings;
import dev.quark.reminder.ReminderTable;
import dev.quark.reminder.ReminderTick;
import dev.quark.reminder.ReminderTickManager;
import dev.quark.reminder.ReminderUpdate;
import dev.quark.reminder.memory.InMemoryReminderTable;
import dev.quark.runtime.ActorAddress;
import dev.quark.runtime.ActorRuntime;
import dev.quark.testkit.ActorTestKit;
import dev.quark.testkit.ManualClock;
import dev.quark.testkit.ManualScheduler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class ReminderTickManagerTests {

    private static final Instant START = ManualClock.DEFAULT_START;

    /** How many reminders of a read the manager merges in one step (its {@code APPLY_STEP}). */
    private static final int APPLY_STEP = 512;

    private final ManualClock clock = new ManualClock();

    private final PagerEnvironment environment = new PagerEnvironment(this.clock);

    private final InMemoryReminderTable memory = new InMemoryReminderTable();

    private final RecordingTable table = new RecordingTable(this.memory);

    private final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable closeable : this.closeables.reversed()) {
            closeable.close();
        }
    }

    private ActorTestKit kit(ReminderSettings settings) {
        ActorTestKit kit = ActorTestKit.builder()
            .clock(this.clock)
            .actor(PagerActor.class, () -> new PagerActor(this.environment))
            .reminders(this.table, settings)
            .runtime((runtime) -> runtime.idleTimeout(Duration.ofDays(400)))
            .build();
        this.closeables.add(kit);
        return kit;
    }

    private ActorTestKit kit() {
        return kit(ReminderSettings.DEFAULTS);
    }

    @Test
    void ticksFollowTheFirstTickThenTheSubSecondPeriodInVirtualTime() {
        ActorTestKit kit = kit();
        kit.get(Pager.class, "p").every("fast", Duration.ofMillis(250));
        kit.advanceTime(Duration.ofMillis(249));
        assertThat(this.environment.log()).isEmpty();
        kit.advanceTime(Duration.ofMillis(751));
        assertThat(this.environment.log()).containsExactly("p/fast@250", "p/fast@500", "p/fast@750", "p/fast@1000");
        assertThat(kit.reminders().stats().delivered()).isEqualTo(4);
        assertThat(this.memory.find(key("p", "fast")).orElseThrow().tick())
            .isEqualTo(ReminderTick.first(START.plusMillis(1250), 5));
    }

    /**
     * On PostgreSQL a registration in the caller's transaction is told to the manager after the commit, after the
     * caller's other after-commit work: a read of changes may show it, and fire it, first. Told then, the manager
     * knows the registration and does not queue its first tick again.
     */
    @Test
    void aRegistrationToldAfterItsTicksFiredIsNotQueuedAgain() {
        ActorTestKit kit = kit();
        kit.get(Pager.class, "p").page("once", ReminderSchedule.once(Duration.ofSeconds(5)));
        kit.get(Pager.class, "p").every("often", Duration.ofSeconds(2));
        ReminderEntry once = this.memory.find(key("p", "once")).orElseThrow();
        ReminderEntry often = this.memory.find(key("p", "often")).orElseThrow();
        kit.advanceTime(Duration.ofSeconds(6));
        assertThat(this.environment.log()).containsExactly("p/often@2000", "p/often@4000", "p/once@5000",
                "p/often@6000");
        kit.reminders().registered(once);
        kit.reminders().registered(often);
        kit.advanceTime(Duration.ofSeconds(3));
        assertThat(this.environment.log()).containsExactly("p/often@2000", "p/often@4000", "p/once@5000",
                "p/often@6000", "p/often@8000");
    }

    @Test
    void repeatCountAndEndRemoveTheReminderAfterItsLastTick() {
        ActorTestKit kit = kit();
        kit.get(Pager.class, "p").page("three", ReminderSchedule.every(Duration.ofSeconds(1)).times(3));
        kit.get(Pager.class, "p").page("ends", ReminderSchedule.every(Duration.ofSeconds(2)).until(START.plusSeconds(5)));
        kit.advanceTime(Duration.ofSeconds(10));
        assertThat(this.environment.log()).containsExactlyInAnyOrder("p/three@1000", "p/three@2000", "p/ends@2000",
                "p/three@3000", "p/ends@4000");
        assertThat(this.memory.size()).isZero();
        assertThat(kit.get(Pager.class, "p").reminderCount()).isZero();
    }

    @Test
    void cronRemindersTickAtTheirCalendarInstants() {
        ActorTestKit kit = kit(ReminderSettings.builder().lookahead(Duration.ofDays(2)).refreshInterval(Duration.ofDays(1))
            .build());
        kit.get(Pager.class, "p").page("monthly", ReminderSchedule.cron("@monthly", ZoneOffset.UTC));
        kit.advanceTime(Duration.ofDays(62));
        assertThat(this.environment.statuses()).extracting((status) -> status.scheduledAt())
            .containsExactly(Instant.parse("2026-02-01T00:00:00Z"), Instant.parse("2026-03-01T00:00:00Z"));
    }

    @Test
    void aTickThatWouldStartWhileThePreviousRunsIsSkippedAndCounted() {
        ActorTestKit kit = kit();
        this.environment.on("p/slow", (actor, status) -> this.clock.advance(Duration.ofMillis(250)));
        kit.get(Pager.class, "p").every("slow", Duration.ofMillis(100));
        kit.advanceTime(Duration.ofMillis(1000));
        assertThat(this.environment.log()).containsExactly("p/slow@100", "p/slow@400", "p/slow@700", "p/slow@1000");
        assertThat(kit.reminders().stats().skipped()).as("200, 300, 500, 600, 800, 900, 1100, 1200").isEqualTo(8);
        assertThat(kit.reminders().stats().missed()).isZero();
    }

    @Test
    void aFailingPeriodicTickIsLoggedAndCountedAndTheScheduleGoesOn() {
        ActorTestKit kit = kit();
        this.environment.on("p/flaky", (actor, status) -> {
            throw new IllegalStateException("tick " + status.scheduledAt() + " failed");
        });
        kit.get(Pager.class, "p").every("flaky", Duration.ofSeconds(1));
        kit.advanceTime(Duration.ofSeconds(3));
        assertThat(this.environment.log()).containsExactly("p/flaky@1000", "p/flaky@2000", "p/flaky@3000");
        assertThat(kit.reminders().stats().failed()).isEqualTo(3);
        assertThat(kit.reminders().stats().delivered()).isZero();
        assertThat(this.memory.find(key("p", "flaky")).orElseThrow().tick().scheduledAt()).isEqualTo(START.plusSeconds(4));
    }

    @Test
    void aFailingReceiveReminderIsLoggedAtWarnNamingTheActorTheReminderAndTheAttempt() {
        LogCapture logged = LogCapture.of(ReminderTickManager.class);
        try {
            ActorTestKit kit = kit(ReminderSettings.builder().maxAttempts(3).initialBackoff(Duration.ofSeconds(1)).build());
            this.environment.on("p/flaky", (actor, status) -> {
                throw new IllegalStateException("periodic tick failed");
            });
            this.environment.on("p/once", (actor, status) -> {
                throw new IllegalStateException("one-shot attempt " + status.attempt() + " failed");
            });
            kit.get(Pager.class, "p").every("flaky", Duration.ofSeconds(10));
            kit.get(Pager.class, "p").page("once", ReminderSchedule.once(Duration.ofSeconds(5)));
            kit.advanceTime(Duration.ofSeconds(10));
        }
        finally {
            logged.close();
        }
        List<ILoggingEvent> warnings = logged.events()
            .stream()
            .filter((event) -> event.getLevel() == Level.WARN)
            .toList();
        String periodic = key("p", "flaky").toString();
        String oneShot = key("p", "once").toString();
        assertThat(periodic).contains("Pager").contains("'flaky'");
        assertThat(warnings).filteredOn((event) -> event.getFormattedMessage().contains(periodic))
            .singleElement()
            .satisfies((event) -> {
                assertThat(event.getFormattedMessage()).isEqualTo("The " + periodic + " failed its tick of "
                        + START.plusSeconds(10) + " (attempt 1); its schedule goes on");
                assertThat(event.getThrowableProxy().getMessage()).isEqualTo("periodic tick failed");
            });
        assertThat(warnings).filteredOn((event) -> event.getFormattedMessage().contains(oneShot))
            .extracting(ILoggingEvent::getFormattedMessage)
            .containsExactly("The " + oneShot + " failed its tick of " + START.plusSeconds(5) + " (attempt 1 of 3); "
                    + "trying again at " + START.plusSeconds(6),
                    "The " + oneShot + " failed its tick of " + START.plusSeconds(5) + " (attempt 2 of 3); "
                            + "trying again at " + START.plusSeconds(8));
    }

    @Test
    void aFailingOneShotIsRetriedWithBackoffUpToTheLimitThenRemoved() {
        ActorTestKit kit = kit(ReminderSettings.builder().maxAttempts(3).initialBackoff(Duration.ofSeconds(1))
            .maxBackoff(Duration.ofSeconds(10)).build());
        this.environment.on("p/once", (actor, status) -> {
            throw new IllegalStateException("attempt " + status.attempt() + " failed");
        });
        kit.get(Pager.class, "p").page("once", ReminderSchedule.once(Duration.ofSeconds(5)));
        kit.advanceTime(Duration.ofMinutes(1));
        assertThat(this.environment.log()).containsExactly("p/once@5000", "p/once@5000 fired 6000 #2",
                "p/once@5000 fired 8000 #3");
        assertThat(kit.reminders().stats().failed()).isEqualTo(3);
        assertThat(kit.reminders().stats().abandoned()).isEqualTo(1);
        assertThat(this.memory.size()).isZero();
    }

    @Test
    void aOneShotThatSucceedsOnARetryIsRemoved() {
        ActorTestKit kit = kit(ReminderSettings.builder().initialBackoff(Duration.ofSeconds(2)).build());
        AtomicInteger failures = new AtomicInteger(1);
        this.environment.on("p/once", (actor, status) -> {
            if (failures.getAndDecrement() > 0) {
                throw new IllegalStateException("first attempt fails");
            }
        });
        kit.get(Pager.class, "p").page("once", ReminderSchedule.once(Duration.ofSeconds(1)));
        kit.advanceTime(Duration.ofMinutes(1));
        assertThat(this.environment.log()).containsExactly("p/once@1000", "p/once@1000 fired 3000 #2");
        assertThat(this.memory.size()).isZero();
    }

    @Test
    void reRegisteringFromInsideATickReplacesTheReminderOnceTheTickEnds() {
        ActorTestKit kit = kit();
        AtomicInteger ticks = new AtomicInteger();
        this.environment.on("p/beat", (actor, status) -> {
            if (ticks.incrementAndGet() == 1) {
                actor.reRegister("beat", ReminderSchedule.every(Duration.ofSeconds(10)));
            }
        });
        kit.get(Pager.class, "p").every("beat", Duration.ofSeconds(1));
        kit.advanceTime(Duration.ofSeconds(25));
        assertThat(this.environment.log()).containsExactly("p/beat@1000", "p/beat@11000", "p/beat@21000");
    }

    @Test
    void unregisteringFromInsideATickStopsTheReminder() {
        ActorTestKit kit = kit();
        this.environment.on("p/beat", (actor, status) -> actor.unregister("beat"));
        kit.get(Pager.class, "p").every("beat", Duration.ofSeconds(1));
        kit.advanceTime(Duration.ofSeconds(10));
        assertThat(this.environment.log()).containsExactly("p/beat@1000");
        assertThat(this.memory.size()).isZero();
    }

    @Test
    void remindersDueBeyondTheLookaheadWaitInTheTableUntilARefreshReadsThem() {
        ActorTestKit kit = kit();
        kit.get(Pager.class, "p").page("later", ReminderSchedule.once(Duration.ofHours(1)));
        assertThat(kit.reminders().stats().waiting()).isZero();
        kit.advanceTime(Duration.ofMinutes(59).plusSeconds(40));
        assertThat(kit.reminders().stats().waiting()).isEqualTo(1);
        kit.advanceTime(Duration.ofSeconds(20));
        assertThat(this.environment.log()).containsExactly("p/later@3600000");
    }

    @Test
    void aReminderWrittenToTheTableElsewhereIsFoundByTheNextRead() {
        ActorTestKit kit = kit();
        kit.get(Pager.class, "p").touch();
        Instant due = START.plusSeconds(5);
        this.memory.save(new ReminderEntry(key("p", "remote"), 77, ReminderSchedule.onceAt(due), new byte[0],
                ReminderTick.first(due, 1)));
        kit.advanceTime(Duration.ofSeconds(9));
        assertThat(this.environment.log()).isEmpty();
        kit.advanceTime(Duration.ofSeconds(1));
        assertThat(this.environment.log()).containsExactly("p/remote@5000 fired 10000");
    }

    @Test
    void aReminderRemovedFromTheTableElsewhereIsDroppedByTheNextRead() {
        ActorTestKit kit = kit();
        kit.get(Pager.class, "p").page("gone", ReminderSchedule.once(Duration.ofSeconds(25)));
        assertThat(kit.reminders().stats().waiting()).isEqualTo(1);
        this.memory.delete(key("p", "gone"));
        kit.advanceTime(Duration.ofSeconds(30));
        assertThat(this.environment.log()).isEmpty();
    }

    @Test
    void aFailedReadIsRetriedAtTheNextRefresh() {
        ActorTestKit kit = kit();
        kit.get(Pager.class, "p").touch();
        this.memory.save(new ReminderEntry(key("p", "r"), 1, ReminderSchedule.onceAt(START.plusSeconds(15)), new byte[0],
                ReminderTick.first(START.plusSeconds(15), 1)));
        this.table.failReads.set(1);
        kit.advanceTime(Duration.ofSeconds(10));
        assertThat(kit.reminders().stats().waiting()).isZero();
        kit.advanceTime(Duration.ofSeconds(10));
        assertThat(this.environment.log()).containsExactly("p/r@15000 fired 20000");
    }

    @Test
    void writesOfNextTicksGoInBatches() throws Exception {
        ActorTestKit kit = kit(ReminderSettings.builder().maxBatch(20).build());
        for (int i = 0; i < 50; i++) {
            kit.get(Pager.class, "p" + i).every("beat", Duration.ofMinutes(1));
        }
        CountDownLatch gate = new CountDownLatch(1);
        this.table.gate.set(gate);
        CompletableFuture<Void> advancing = CompletableFuture.runAsync(() -> kit.advanceTime(Duration.ofMinutes(1)));
        await().atMost(Duration.ofSeconds(10)).until(() -> kit.reminders().stats().delivered() == 50);
        gate.countDown();
        advancing.get(30, TimeUnit.SECONDS);
        assertThat(this.table.batches).allMatch((size) -> size <= 20);
        assertThat(this.table.batches.stream().mapToInt(Integer::intValue).sum()).isEqualTo(50);
        assertThat(this.table.batches).hasSizeLessThanOrEqualTo(4);
        assertThat(this.memory.list(new ActorAddress("Pager", "p7")).getFirst().tick().scheduledAt())
            .isEqualTo(START.plus(Duration.ofMinutes(2)));
    }

    @Test
    void aBatchTheTableRefusedIsWrittenAgainWhileTicksGoOnFromMemory() {
        ActorTestKit kit = kit(ReminderSettings.builder().initialBackoff(Duration.ofSeconds(5)).build());
        kit.get(Pager.class, "p").every("beat", Duration.ofSeconds(1));
        this.table.failWrites.set(1);
        kit.advanceTime(Duration.ofSeconds(1));
        assertThat(this.memory.find(key("p", "beat")).orElseThrow().tick().number()).as("the write failed").isEqualTo(1);
        kit.advanceTime(Duration.ofSeconds(7));
        assertThat(this.environment.log()).hasSize(8);
        assertThat(this.memory.find(key("p", "beat")).orElseThrow().tick().scheduledAt()).isEqualTo(START.plusSeconds(9));
    }

    @Test
    void metricsCountOutcomesPerActorTypeAndRecordLateness() {
        RecordingMetrics metrics = new RecordingMetrics();
        Silo silo = silo(metrics, ReminderBucketOwnershipSwitch.all());
        this.environment.on("p/fails", (actor, status) -> {
            throw new IllegalStateException("no");
        });
        silo.runtime.get(Pager.class, "p").every("beat", Duration.ofSeconds(1));
        silo.runtime.get(Pager.class, "p").every("fails", Duration.ofSeconds(2));
        silo.scheduler.advance(Duration.ofSeconds(4));
        assertThat(metrics.counts).containsEntry("Pager:DELIVERED", 4L).containsEntry("Pager:FAILED", 2L);
        assertThat(metrics.lateness).hasSize(6).allMatch(Duration.ZERO::equals);
    }

    @Test
    void ownershipChangesDropLostBucketsAndLoadGainedOnes() {
        ReminderBucketOwnershipSwitch ownership = ReminderBucketOwnershipSwitch.all();
        Silo silo = silo(ReminderMetrics.NONE, ownership);
        silo.runtime.get(Pager.class, "p").every("beat", Duration.ofSeconds(1));
        silo.scheduler.advance(Duration.ofSeconds(1));
        int bucket = ReminderBuckets.of(new ActorAddress("Pager", "p"));
        ownership.owned = ReminderBucketSet.all().minus(ReminderBucketSet.of(bucket));
        silo.manager.ownershipChanged();
        assertThat(silo.manager.ownedBuckets().size()).isEqualTo(1023);
        silo.scheduler.advance(Duration.ofSeconds(5));
        assertThat(this.environment.log()).containsExactly("p/beat@1000");
        ownership.owned = ReminderBucketSet.all();
        silo.manager.ownershipChanged();
        silo.scheduler.advance(Duration.ZERO);
        assertThat(this.environment.log()).as("the tick missed while nobody owned the bucket fires once")
            .containsExactly("p/beat@1000", "p/beat@2000 fired 6000");
        silo.scheduler.advance(Duration.ofSeconds(1));
        assertThat(this.environment.log()).last().isEqualTo("p/beat@7000");
    }

    /**
     * Decoding a large read never waits: on a virtual thread it held a carrier thread the whole time, and the
     * deliveries and turns queued behind it.
     */
    @Test
    void theRefreshReadsTheTableOnAPlatformThread() {
        kit();
        await().atMost(Duration.ofSeconds(10)).until(() -> !this.table.readThreads.isEmpty());
        assertThat(this.table.readThreads).as("the threads of the reads of due reminders")
            .noneMatch(Thread::isVirtual);
    }

    @Test
    void aDueTickFiresWhileARefreshReadOfTheTableIsBlocked() throws Exception {
        CountDownLatch readGate = new CountDownLatch(1);
        this.table.readGate.set(readGate);
        ReminderRegistry registry = new ReminderRegistry(this.table, java.time.Clock.systemUTC());
        ActorRuntime runtime = ActorRuntime.builder()
            .actor(PagerActor.class, () -> new PagerActor(this.environment))
            .reminders(registry)
            .build();
        this.closeables.add(runtime);
        ReminderTickManager manager = ReminderTickManager.builder(this.table, runtime)
            .registry(registry)
            .settings(ReminderSettings.builder().shutdownTimeout(Duration.ofSeconds(2)).build())
            .build();
        this.closeables.add(() -> {
            readGate.countDown();
            manager.close();
        });
        manager.start();
        await().atMost(Duration.ofSeconds(10)).until(() -> this.table.blockedReads.get() == 1);
        runtime.get(Pager.class, "p").page("soon", ReminderSchedule.onceAt(Instant.now().plusMillis(50)));
        await().atMost(Duration.ofSeconds(10)).until(() -> manager.stats().delivered() == 1);
        assertThat(this.table.blockedReads.get()).as("the refresh's read still waits").isEqualTo(1);
        assertThat(this.environment.log()).hasSize(1).allMatch((entry) -> entry.startsWith("p/soon@"));
        readGate.countDown();
        await().atMost(Duration.ofSeconds(10)).until(() -> this.table.blockedReads.get() == 0);
        assertThat(manager.stats().delivered()).isEqualTo(1);
    }

    @Test
    void noMoreTicksRunAtOnceThanMaxRunningAndTheOthersWaitTheirTurnInVirtualTime() {
        ActorTestKit kit = kit(ReminderSettings.builder().maxRunning(1).build());
        AtomicInteger mostRunning = new AtomicInteger();
        for (String pager : List.of("a", "b", "c")) {
            this.environment.on(pager + "/beat",
                    (actor, status) -> mostRunning.accumulateAndGet(kit.reminders().stats().running(), Math::max));
            kit.get(Pager.class, pager).page("beat", ReminderSchedule.onceAt(START.plusSeconds(1)));
        }
        kit.advanceTime(Duration.ofSeconds(1));
        assertThat(this.environment.log()).containsExactlyInAnyOrder("a/beat@1000", "b/beat@1000", "c/beat@1000");
        assertThat(mostRunning.get()).isEqualTo(1);
        assertThat(kit.reminders().stats().delivered()).isEqualTo(3);
    }

    @Test
    void theEndOfATickIsHandledOffTheThreadOfTheActorsTurn() {
        Map<String, Thread> threads = new ConcurrentHashMap<>();
        Silo silo = silo(new ReminderMetrics() {

            @Override
            public void ticks(String actorType, ReminderOutcome outcome, long count) {
                threads.putIfAbsent("ended", Thread.currentThread());
            }

            @Override
            public void lateness(String actorType, Duration lateness) {
            }
        }, ReminderBucketOwnershipSwitch.all());
        this.environment.on("p/beat", (actor, status) -> threads.put("turn", Thread.currentThread()));
        silo.runtime.get(Pager.class, "p").page("beat", ReminderSchedule.onceAt(START.plusSeconds(1)));
        silo.scheduler.advance(Duration.ofSeconds(1));
        await().atMost(Duration.ofSeconds(10)).until(() -> threads.containsKey("ended"));
        assertThat(threads.get("ended")).isNotSameAs(threads.get("turn"));
    }

    @Test
    void aTickQueuedBehindALongTurnThatTimesOutIsNeverDelivered() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        this.environment.on("p/hold", (actor, status) -> {
            try {
                release.await(10, TimeUnit.SECONDS);
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        });
        ReminderRegistry registry = new ReminderRegistry(this.table, java.time.Clock.systemUTC());
        ActorRuntime runtime = ActorRuntime.builder()
            .actor(PagerActor.class, () -> new PagerActor(this.environment))
            .reminders(registry)
            .build();
        this.closeables.add(runtime);
        ReminderTickManager manager = ReminderTickManager.builder(this.table, runtime)
            .registry(registry)
            .settings(ReminderSettings.builder().deliveryTimeout(Duration.ofMillis(300)).maxAttempts(1).build())
            .build();
        this.closeables.add(manager);
        manager.start();
        Instant due = Instant.now().plusMillis(200);
        Pager pager = runtime.get(Pager.class, "p");
        pager.page("hold", ReminderSchedule.onceAt(due));
        pager.page("late", ReminderSchedule.onceAt(due.plusMillis(50)));
        await().atMost(Duration.ofSeconds(10)).until(() -> manager.stats().failed() == 2);
        release.countDown();
        pager.touch();
        assertThat(this.environment.log()).hasSize(1).allMatch((entry) -> entry.startsWith("p/hold@"));
        assertThat(manager.stats().running()).isZero();
    }

    @Test
    void noTickOfARoundStartsOnceTheManagerHalted() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        List<String> delivered = new CopyOnWriteArrayList<>();
        ManualScheduler scheduler = new ManualScheduler(this.clock);
        ReminderRegistry registry = new ReminderRegistry(this.table, this.clock);
        ActorRuntime runtime = ActorRuntime.builder()
            .actor(PagerActor.class, () -> new PagerActor(this.environment))
            .clock(this.clock)
            .scheduler(scheduler)
            .reminders(registry)
            .build();
        this.closeables.add(runtime);
        ReminderTickManager manager = ReminderTickManager.builder(this.table, runtime)
            .registry(registry)
            .delivery((actor, name, status) -> {
                delivered.add(actor.id());
                entered.countDown();
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (release.getCount() > 0 && System.nanoTime() < end) {
                    try {
                        release.await(10, TimeUnit.MILLISECONDS);
                    }
                    catch (InterruptedException ex) {
                        // halt() interrupts the threads of the manager: wait for the test to let go all the same
                    }
                }
                return CompletableFuture.completedFuture(null);
            })
            .build();
        this.closeables.add(manager);
        manager.start();
        scheduler.runDueTasks();
        for (String pager : List.of("a", "b", "c")) {
            runtime.get(Pager.class, pager).page("beat", ReminderSchedule.onceAt(START.plusSeconds(1)));
        }
        Thread advancing = Thread.ofVirtual().start(() -> scheduler.advance(Duration.ofSeconds(1)));
        assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
        manager.halt();
        release.countDown();
        advancing.join(Duration.ofSeconds(10));
        assertThat(delivered).hasSize(1);
        assertThat(manager.stats().running()).isZero();
        assertThat(this.memory.size()).as("the ticks not delivered stay in the table").isEqualTo(3);
    }

    @Test
    void metricsThatThrowDoNotStopTheTicksOfARound() {
        Silo silo = silo(new ReminderMetrics() {

            @Override
            public void ticks(String actorType, ReminderOutcome outcome, long count) {
                throw new IllegalStateException("metrics broken");
            }

            @Override
            public void lateness(String actorType, Duration lateness) {
                throw new IllegalStateException("metrics broken");
            }
        }, ReminderBucketOwnershipSwitch.all());
        for (String pager : List.of("a", "b", "c")) {
            silo.runtime.get(Pager.class, pager).page("beat", ReminderSchedule.onceAt(START.plusSeconds(1)));
        }
        silo.scheduler.advance(Duration.ofSeconds(1));
        await().atMost(Duration.ofSeconds(10)).until(() -> silo.manager.stats().running() == 0);
        assertThat(this.environment.log()).containsExactlyInAnyOrder("a/beat@1000", "b/beat@1000", "c/beat@1000");
        assertThat(silo.manager.stats().delivered()).isEqualTo(3);
        await().atMost(Duration.ofSeconds(10)).until(() -> this.memory.size() == 0);
    }

    @Test
    void aReadThatBeganBeforeItsBucketWasLostAndRegainedDoesNotBringBackWhatAnotherSiloFired() throws Exception {
        ReminderBucketOwnershipSwitch ownership = ReminderBucketOwnershipSwitch.all();
        Silo silo = silo(ReminderMetrics.NONE, ownership);
        ReminderKey key = key("p", "elsewhere");
        Instant due = START.plusSeconds(1);
        this.memory.save(new ReminderEntry(key, 5, ReminderSchedule.onceAt(due), new byte[0], ReminderTick.first(due, 1)));
        silo.scheduler.advance(Duration.ofSeconds(2));
        CountDownLatch release = new CountDownLatch(1);
        this.table.holdAfterRead.set(release);
        silo.manager.refreshNow();
        Thread refreshing = Thread.ofVirtual().start(silo.scheduler::runDueTasks);
        await().atMost(Duration.ofSeconds(10)).until(() -> this.table.heldReads.get() == 1);
        ownership.owned = ReminderBucketSet.all().minus(ReminderBucketSet.of(key.bucket()));
        silo.manager.ownershipChanged();
        assertThat(this.memory.delete(key)).as("another silo delivered the one-shot and removed it").isTrue();
        ownership.owned = ReminderBucketSet.all();
        silo.manager.ownershipChanged();
        this.table.holdAfterRead.set(null);
        release.countDown();
        refreshing.join(Duration.ofSeconds(30));
        assertThat(refreshing.isAlive()).isFalse();
        silo.scheduler.advance(Duration.ofSeconds(30));
        assertThat(this.environment.log()).as("the read taken before the loss showed the delivered one-shot").isEmpty();
        assertThat(silo.manager.stats().waiting()).isZero();
    }

    @Test
    void aTickThatFallsDueBetweenTwoStepsOfALargeReadFiresOnTimeAndOnce() throws Exception {
        AtomicReference<ReminderTickManager> manager = new AtomicReference<>();
        List<Integer> waitingWhenFired = new CopyOnWriteArrayList<>();
        List<Duration> lateness = new CopyOnWriteArrayList<>();
        Silo silo = silo(new ReminderMetrics() {

            @Override
            public void ticks(String actorType, ReminderOutcome outcome, long count) {
            }

            @Override
            public void lateness(String actorType, Duration late) {
                lateness.add(late);
                waitingWhenFired.add(manager.get().stats().waiting());
            }
        }, ReminderBucketOwnershipSwitch.all(), ReminderSettings.builder().loadLimit(30_000).build());
        manager.set(silo.manager);
        silo.runtime.get(Pager.class, "p").every("beat", Duration.ofSeconds(2));
        int others = 20_000;
        Instant later = START.plusSeconds(20);
        for (int i = 0; i < others; i++) {
            this.memory.save(new ReminderEntry(key("q" + i, "later"), i + 1, ReminderSchedule.onceAt(later),
                    new byte[0], ReminderTick.first(later, 1)));
        }
        this.table.readLast.set(key("p", "beat"));
        silo.manager.refreshNow();
        Thread refreshing = Thread.ofVirtual().start(silo.scheduler::runDueTasks);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (silo.manager.stats().waiting() <= APPLY_STEP && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        silo.scheduler.advance(Duration.ofSeconds(2));
        refreshing.join(Duration.ofSeconds(30));
        assertThat(refreshing.isAlive()).isFalse();
        // The firing reminder is out of the waiting set while it runs: after the first step, the others of that step.
        assertThat(waitingWhenFired).as("the tick fired after the first step and before the last")
            .singleElement()
            .satisfies((waiting) -> assertThat(waiting).isGreaterThanOrEqualTo(APPLY_STEP).isLessThan(others + 1));
        assertThat(silo.manager.stats().waiting()).isEqualTo(others + 1);
        silo.scheduler.advance(Duration.ofSeconds(1));
        assertThat(this.environment.log()).as("on time, and the read's older copy of the tick did not fire it again")
            .containsExactly("p/beat@2000");
        assertThat(lateness).containsExactly(Duration.ZERO);
        assertThat(this.memory.find(key("p", "beat")).orElseThrow().tick()).isEqualTo(ReminderTick.first(START.plusSeconds(4), 2));
    }

    private Silo silo(ReminderMetrics metrics, ReminderBucketOwnershipSwitch ownership) {
        return silo(metrics, ownership, ReminderSettings.DEFAULTS);
    }

    private Silo silo(ReminderMetrics metrics, ReminderBucketOwnershipSwitch ownership, ReminderSettings settings) {
        ManualScheduler scheduler = new ManualScheduler(this.clock);
        ReminderRegistry registry = new ReminderRegistry(this.table, this.clock);
        ActorRuntime runtime = ActorRuntime.builder()
            .actor(PagerActor.class, () -> new PagerActor(this.environment))
            .clock(this.clock)
            .scheduler(scheduler)
            .reminders(registry)
            .build();
        this.closeables.add(runtime);
        ReminderTickManager manager = ReminderTickManager.builder(this.table, runtime)
            .registry(registry)
            .metrics(metrics)
            .ownership(ownership)
            .settings(settings)
            .build();
        this.closeables.add(manager);
        manager.start();
        scheduler.runDueTasks();
        return new Silo(runtime, scheduler, manager);
    }

    private static ReminderKey key(String pager, String name) {
        return new ReminderKey(new ActorAddress("Pager", pager), name);
    }

    private record Silo(ActorRuntime runtime, ManualScheduler scheduler, ReminderTickManager manager) {
    }

    private static final class ReminderBucketOwnershipSwitch implements dev.quark.reminder.ReminderBucketOwnership {

        volatile ReminderBucketSet owned = ReminderBucketSet.all();

        static ReminderBucketOwnershipSwitch all() {
            return new ReminderBucketOwnershipSwitch();
        }

        @Override
        public ReminderBucketSet ownedBuckets() {
            return this.owned;
        }
    }

    private static final class RecordingMetrics implements ReminderMetrics {

        final Map<String, Long> counts = new ConcurrentHashMap<>();

        final List<Duration> lateness = new CopyOnWriteArrayList<>();

        @Override
        public void ticks(String actorType, ReminderOutcome outcome, long count) {
            this.counts.merge(actorType + ":" + outcome, count, Long::sum);
        }

        @Override
        public void lateness(String actorType, Duration lateness) {
            this.lateness.add(lateness);
        }
    }

    /** A table that records write batches and fails or holds operations on demand. */
    private static final class RecordingTable implements ReminderTable {

        private final ReminderTable delegate;

        final List<Integer> batches = new CopyOnWriteArrayList<>();

        final AtomicLong failReads = new AtomicLong();

        final AtomicLong failWrites = new AtomicLong();

        final AtomicReference<CountDownLatch> gate = new AtomicReference<>();

        /** Holds every read of due reminders until opened. */
        final AtomicReference<CountDownLatch> readGate = new AtomicReference<>();

        final AtomicInteger blockedReads = new AtomicInteger();

        /** Holds every read of due reminders, once it has read the table, until opened. */
        final AtomicReference<CountDownLatch> holdAfterRead = new AtomicReference<>();

        final AtomicInteger heldReads = new AtomicInteger();

        /** A reminder every read of due reminders returns last, whatever its fire time. */
        final AtomicReference<ReminderKey> readLast = new AtomicReference<>();

        /** The threads the reads of due reminders ran on. */
        final List<Thread> readThreads = new CopyOnWriteArrayList<>();

        RecordingTable(ReminderTable delegate) {
            this.delegate = delegate;
        }

        @Override
        public void save(ReminderEntry entry) {
            this.delegate.save(entry);
        }

        @Override
        public java.util.Optional<ReminderEntry> find(ReminderKey key) {
            return this.delegate.find(key);
        }

        @Override
        public List<ReminderEntry> list(ActorAddress actor) {
            return this.delegate.list(actor);
        }

        @Override
        public boolean delete(ReminderKey key) {
            return this.delegate.delete(key);
        }

        @Override
        public DueReminders due(ReminderBucketSet buckets, Instant before, int limit) {
            this.readThreads.add(Thread.currentThread());
            if (this.failReads.getAndUpdate((left) -> Math.max(0, left - 1)) > 0) {
                throw new IllegalStateException("read refused");
            }
            CountDownLatch held = this.readGate.get();
            if (held != null) {
                this.blockedReads.incrementAndGet();
                try {
                    held.await(20, TimeUnit.SECONDS);
                }
                catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                }
                finally {
                    this.blockedReads.decrementAndGet();
                }
            }
            DueReminders due = this.delegate.due(buckets, before, limit);
            ReminderKey last = this.readLast.get();
            if (last != null) {
                List<ReminderEntry> entries = new ArrayList<>(due.entries());
                entries.sort(java.util.Comparator.comparing((ReminderEntry entry) -> entry.key().equals(last)));
                due = new DueReminders(entries, due.completeBefore());
            }
            CountDownLatch hold = this.holdAfterRead.get();
            if (hold != null) {
                this.heldReads.incrementAndGet();
                try {
                    hold.await(20, TimeUnit.SECONDS);
                }
                catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                }
            }
            return due;
        }

        @Override
        public ReminderBucketSet stamp(Map<Integer, FencingToken> tokens) {
            return this.delegate.stamp(tokens);
        }

        @Override
        public int apply(List<ReminderUpdate> updates) {
            CountDownLatch held = this.gate.getAndSet(null);
            if (held != null) {
                try {
                    held.await(10, TimeUnit.SECONDS);
                }
                catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                }
            }
            if (this.failWrites.getAndUpdate((left) -> Math.max(0, left - 1)) > 0) {
                throw new IllegalStateException("write refused");
            }
            this.batches.add(updates.size());
            return this.delegate.apply(updates);
        }

        @Override
        public long countDue(ReminderBucketSet buckets, Instant before) {
            return this.delegate.countDue(buckets, before);
        }
    }
}
