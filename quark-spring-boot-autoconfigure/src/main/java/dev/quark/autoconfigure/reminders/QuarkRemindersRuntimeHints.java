package dev.quark.autoconfigure.reminders;

import dev.quark.actor.ReminderStatus;
import dev.quark.reminder.jdbc.JdbcReminderTable;
import org.jspecify.annotations.Nullable;

import org.springframework.aot.hint.BindingReflectionHintsRegistrar;
import org.springframework.aot.hint.RuntimeHints;
import org.springframework.aot.hint.RuntimeHintsRegistrar;

/**
 * Native-image hints of reminders that do not depend on the application: the Liquibase changelog, and JSON
 * binding of {@link ReminderStatus}, the argument every tick carries, for transports that serialize calls. The
 * proxies of {@link dev.quark.actor.Remindable} come with each actor that implements it
 * ({@link dev.quark.autoconfigure.actors.ActorRuntimeHints#registerActor}).
 */
class QuarkRemindersRuntimeHints implements RuntimeHintsRegistrar {

    @Override
    public void registerHints(RuntimeHints hints, @Nullable ClassLoader classLoader) {
        hints.resources().registerPattern(JdbcReminderTable.CHANGELOG);
        new BindingReflectionHintsRegistrar().registerReflectionHints(hints.reflection(), ReminderStatus.class);
    }
}
