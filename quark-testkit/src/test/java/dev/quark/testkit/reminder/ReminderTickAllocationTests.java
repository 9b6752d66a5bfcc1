package dev.quark.testkit.reminder;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import dev.quark.actor.ReminderSchedule;
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
 * How many bytes the tick manager allocates per tick, measured the way load cannot change: the JVM's count of bytes
 * allocated by all threads, around a bounded run in virtual time (in-memory table, a delivery that returns at once).
 * The figure includes the in-memory table's writes and the manual scheduler's timers; it goes in
 * {@code docs/performance.md#reminders}.
 */
class ReminderTickAllocationTests {

    private static final int REMINDERS = 10_000;

    private static final Duration PERIOD = Duration.ofSeconds(1);

    /** The first ticks are spread over the period at this step: 100 fire rounds a second. */
    private static final Duration SPREAD = Duration.ofMillis(10);

    /**
     * A guard against gross regressions, not a benchmark: runs measured 1,342 bytes per tick before the timing path
     * kept its reminders in place and 1,207–1,255 after (2026-12-02; what is left is mostly futures and records of
     * the delivery, its timeout and its write, and, when this was measured, the in-memory table's own copies, which an advance no longer makes).
     */
    private static final long MAX_BYTES_PER_TICK = 2_000;

    private final ManualClock clock = new ManualClock();

    private final ManualScheduler scheduler = new ManualScheduler(this.clock);

    private final InMemoryReminderTable table = new InMemoryReminderTable();

    private final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable closeable : this.closeables.reversed()) {
            closeable.close();
        }
    }

    @Test
    void aPeriodicTickAllocatesFewBytesInTheTickManager() {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory
            .getThreadMXBean();
        assertThat(threads.isThreadAllocatedMemorySupported()).isTrue();
        Instant start = this.clock.instant();
        long spread = PERIOD.toMillis() / SPREAD.toMillis();
        for (int i = 0; i < REMINDERS; i++) {
            ReminderKey key = new ReminderKey(new ActorAddress("Pager", "p" + i), "r");
            Instant first = start.plus(SPREAD.multipliedBy(1 + (i % spread)));
            this.table.save(new ReminderEntry(key, 1, ReminderSchedule.every(PERIOD).startingAt(first), new byte[16],
                    ReminderTick.first(first, 1)));
        }
        ReminderTickManager manager = manager();
        manager.start();
        this.scheduler.advance(PERIOD.multipliedBy(30));
        long ticksBefore = manager.stats().delivered();
        long bytesBefore = threads.getTotalThreadAllocatedBytes();
        this.scheduler.advance(PERIOD.multipliedBy(30));
        long bytes = threads.getTotalThreadAllocatedBytes() - bytesBefore;
        long ticks = manager.stats().delivered() - ticksBefore;
        long perTick = bytes / ticks;
        System.out.printf("Reminder tick allocation: %,d bytes over %,d ticks: %,d bytes per tick%n", bytes, ticks,
                perTick);
        assertThat(ticks).isEqualTo(30L * REMINDERS);
        assertThat(perTick).isLessThan(MAX_BYTES_PER_TICK);
    }

    private ReminderTickManager manager() {
        ActorRuntime runtime = ActorRuntime.builder().clock(this.clock).scheduler(this.scheduler).build();
        this.closeables.add(runtime);
        ReminderTickManager manager = ReminderTickManager.builder(this.table, runtime)
            .settings(ReminderSettings.builder().loadLimit(REMINDERS).build())
            .delivery((actor, name, status) -> CompletableFuture.completedFuture(null))
            .build();
        this.closeables.add(manager);
        return manager;
    }
}
