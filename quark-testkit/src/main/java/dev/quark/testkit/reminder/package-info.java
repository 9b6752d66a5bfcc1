/**
 * The contract tests every {@link dev.quark.reminder.ReminderTable} runs.
 */
@NullMarked
package dev.quark.testkit.reminder;

import org.jspecify.annotations.NullMarked;
