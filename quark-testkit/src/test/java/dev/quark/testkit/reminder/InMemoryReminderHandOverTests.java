package dev.quark.testkit.reminder;

import java.time.Clock;

import dev.quark.reminder.ReminderTable;
import dev.quark.reminder.memory.InMemoryReminderTable;

/**
 * Reminder hand-over on an in-memory table the silos of the JVM share.
 */
class InMemoryReminderHandOverTests extends ReminderHandOverTests {

    @Override
    protected ReminderTable table(Clock clock) {
        return new InMemoryReminderTable(clock);
    }
}
