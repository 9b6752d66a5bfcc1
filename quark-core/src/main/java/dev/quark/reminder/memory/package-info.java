/**
 * The in-memory reminder table: one JVM, lost when it stops.
 */
@NullMarked
package dev.quark.reminder.memory;

import org.jspecify.annotations.NullMarked;
