package dev.quark.reminder.memory;

import dev.quark.reminder.ReminderTable;
import dev.quark.testkit.reminder.ReminderTableContractTests;

class InMemoryReminderTableTests extends ReminderTableContractTests {

    private final InMemoryReminderTable table = new InMemoryReminderTable();

    @Override
    protected ReminderTable table() {
        return this.table;
    }
}
