package dev.quark.reminder.memory;

import java.lang.management.ManagementFactory;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import dev.quark.actor.ReminderSchedule;
import dev.quark.reminder.DueReminders;
import dev.quark.reminder.ReminderBucketSet;
import dev.quark.reminder.ReminderEntry;
import dev.quark.reminder.ReminderKey;
import dev.quark.reminder.ReminderTable;
import dev.quark.reminder.ReminderTick;
import dev.quark.reminder.ReminderUpdate;
import dev.quark.runtime.ActorAddress;
import dev.quark.testkit.ManualClock;
import dev.quark.testkit.reminder.ReminderTableContractTests;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class InMemoryReminderTableTests extends ReminderTableContractTests {

    private final ManualClock changeClock = new ManualClock();

    private final InMemoryReminderTable table = new InMemoryReminderTable(this.changeClock);

    @Override
    protected ReminderTable table() {
        return this.table;
    }

    @Override
    protected ManualClock changeClock() {
        return this.changeClock;
    }

    @Test
    void theChangeEntriesOfOneShotRemindersRemovedByTheirLastTickAreTrimmed() {
        ActorAddress actor = newActor(TABLE_ACTOR_TYPE);
        List<ReminderEntry> oneShots = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Instant at = ManualClock.DEFAULT_START.plusSeconds(i + 1);
            oneShots.add(new ReminderEntry(new ReminderKey(actor, "once-" + i), 100 + i, ReminderSchedule.onceAt(at),
                    new byte[0], ReminderTick.first(at, 1)));
        }
        oneShots.forEach(this.table::save);
        this.table.apply(oneShots.stream().map((entry) -> ReminderUpdate.remove(entry.key(), entry.registration()))
            .toList());
        assertThat(this.table.size()).isZero();
        assertThat(this.table.changeCount()).isEqualTo(3);
        this.changeClock.advance(ReminderTable.CHANGE_RETENTION.plusSeconds(1));
        Instant later = this.changeClock.instant().plusSeconds(60);
        this.table.save(new ReminderEntry(new ReminderKey(actor, "young"), 200, ReminderSchedule.onceAt(later),
                new byte[0], ReminderTick.first(later, 1)));
        assertThat(this.table.changeCount()).as("only the young one's entry").isOne();
    }

    @Test
    void aSliceReadSkipsTheRemindersBeforeItsStartAndCutsTiesAtItsLimit() {
        ActorAddress actor = newActor(TABLE_ACTOR_TYPE);
        Instant from = ManualClock.DEFAULT_START.plusSeconds(20);
        Instant tie = from.plusSeconds(1);
        for (int i = 0; i < 2_000; i++) {
            save(new ReminderKey(actor, "early-" + i), ManualClock.DEFAULT_START.plusMillis(i));
        }
        for (int i = 0; i < 5; i++) {
            save(new ReminderKey(actor, "tie-" + i), tie);
        }
        save(new ReminderKey(actor, "at-start"), from);
        save(new ReminderKey(actor, "later"), from.plusSeconds(2));
        save(new ReminderKey(actor, "at-end"), from.plusSeconds(3));
        ReminderBucketSet bucket = ReminderBucketSet.of(new ReminderKey(actor, "x").bucket());
        Instant before = from.plusSeconds(3);

        DueReminders cut = this.table.due(bucket, from, before, 3);

        assertThat(cut.entries()).extracting((entry) -> entry.key().name())
            .first().isEqualTo("at-start");
        assertThat(cut.entries()).hasSize(3);
        assertThat(cut.entries().subList(1, 3))
            .allSatisfy((entry) -> assertThat(entry.tick().fireAt()).isEqualTo(tie))
            .extracting((entry) -> entry.key().name()).doesNotHaveDuplicates()
            .allSatisfy((name) -> assertThat(name).startsWith("tie-"));
        assertThat(cut.completeBefore()).as("other ties may be missing").isEqualTo(tie);

        DueReminders whole = this.table.due(bucket, from, before, 10);

        assertThat(whole.entries()).extracting((entry) -> entry.key().name())
            .containsExactly("at-start", "tie-0", "tie-1", "tie-2", "tie-3", "tie-4", "later");
        assertThat(whole.completeBefore()).isEqualTo(before);
        assertThat(this.table.due(bucket, before, from, 10).entries()).as("an empty slice").isEmpty();
        assertThat(this.table.due(bucket, from, from, 10).entries()).as("an empty slice").isEmpty();
    }

    /**
     * Measures the bytes one thread allocates to advance 100,000 reminders of distinct actors after a warm-up: the
     * table used to replace each reminder's entry, tick index entries and actor map at every advance (320 bytes
     * each, living a whole period); it now moves one slot within its bucket.
     */
    @Test
    void advancingARemindersTickAllocatesLittle() {
        int reminders = 100_000;
        int batch = 500;
        List<ReminderKey> keys = new ArrayList<>(reminders);
        for (int i = 0; i < reminders; i++) {
            ReminderKey key = new ReminderKey(new ActorAddress(TABLE_ACTOR_TYPE, "actor-" + i), "tick");
            keys.add(key);
            save(key, ManualClock.DEFAULT_START.plusMillis(i));
        }
        for (int round = 2; round <= 4; round++) {
            List<List<ReminderUpdate>> batches = advances(keys, round, batch);
            com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory
                .getThreadMXBean();
            org.junit.jupiter.api.Assumptions.assumeTrue(threads.isThreadAllocatedMemorySupported(),
                    "this JVM does not count the bytes a thread allocates");
            long start = threads.getCurrentThreadAllocatedBytes();
            for (List<ReminderUpdate> updates : batches) {
                this.table.apply(updates);
            }
            long perAdvance = (threads.getCurrentThreadAllocatedBytes() - start) / reminders;
            if (round == 4) {
                assertThat(perAdvance).as("bytes per advance").isLessThan(200);
            }
        }
        assertThat(this.table.find(keys.getLast()).orElseThrow().tick().number()).isEqualTo(4);
    }

    private List<List<ReminderUpdate>> advances(List<ReminderKey> keys, long number, int batch) {
        List<List<ReminderUpdate>> batches = new ArrayList<>();
        List<ReminderUpdate> updates = new ArrayList<>(batch);
        for (int i = 0; i < keys.size(); i++) {
            Instant next = ManualClock.DEFAULT_START.plusSeconds(number).plusMillis(i);
            updates.add(ReminderUpdate.advance(keys.get(i), 7, new ReminderTick(next, number, 1, next)));
            if (updates.size() == batch) {
                batches.add(updates);
                updates = new ArrayList<>(batch);
            }
        }
        return batches;
    }

    private void save(ReminderKey key, Instant at) {
        this.table.save(new ReminderEntry(key, 7, ReminderSchedule.onceAt(ManualClock.DEFAULT_START), new byte[16],
                ReminderTick.first(at, 1)));
    }
}
