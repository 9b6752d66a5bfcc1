/**
 * Auto-configuration of persistent reminders: the reminder table on the configured backend, the registry
 * actors register through, and the silo's tick manager.
 */
@NullMarked
package dev.quark.autoconfigure.reminders;

import org.jspecify.annotations.NullMarked;
