package dev.quark.reminder.memory;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import dev.quark.actor.ReminderSchedule;
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
}
