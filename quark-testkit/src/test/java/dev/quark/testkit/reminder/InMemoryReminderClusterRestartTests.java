package dev.quark.testkit.reminder;

import dev.quark.reminder.ReminderTable;
import dev.quark.reminder.memory.InMemoryReminderTable;

/**
 * A full cluster restart on an in-memory table the silos of the JVM share.
 */
class InMemoryReminderClusterRestartTests extends ReminderClusterRestartTests {

    @Override
    protected ReminderTable table() {
        return new InMemoryReminderTable();
    }
}
