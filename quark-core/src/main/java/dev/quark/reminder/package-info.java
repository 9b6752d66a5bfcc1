/**
 * Persistent reminders: the {@link dev.quark.reminder.ReminderTable} SPI with its buckets, the
 * {@link dev.quark.reminder.ReminderRegistry} actors register through, and the
 * {@link dev.quark.reminder.ReminderTickManager} that fires the ticks of one silo.
 */
@NullMarked
package dev.quark.reminder;

import org.jspecify.annotations.NullMarked;
