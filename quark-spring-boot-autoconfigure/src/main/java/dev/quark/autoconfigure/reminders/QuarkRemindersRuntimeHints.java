package dev.quark.autoconfigure.reminders;

import dev.quark.actor.ReminderSchedule;
import dev.quark.actor.ReminderStatus;
import dev.quark.reminder.jdbc.JdbcReminderTable;
import org.jspecify.annotations.Nullable;

import org.springframework.aot.hint.BindingReflectionHintsRegistrar;
import org.springframework.aot.hint.MemberCategory;
import org.springframework.aot.hint.RuntimeHints;
import org.springframework.aot.hint.RuntimeHintsRegistrar;

/**
 * Native-image hints of reminders that do not depend on the application: the Liquibase changelog, JSON binding
 * of {@link ReminderStatus}, the argument every tick carries, for transports that serialize calls, and the type
 * {@link ReminderSchedule}, which actor contracts may take as an argument between silos. The
 * proxies of {@link dev.quark.actor.Remindable} come with each actor that implements it
 * ({@link dev.quark.autoconfigure.actors.ActorRuntimeHints#registerActor}).
 */
class QuarkRemindersRuntimeHints implements RuntimeHintsRegistrar {

    @Override
    public void registerHints(RuntimeHints hints, @Nullable ClassLoader classLoader) {
        hints.resources().registerPattern(JdbcReminderTable.CHANGELOG);
        new BindingReflectionHintsRegistrar().registerReflectionHints(hints.reflection(), ReminderStatus.class);
        // Written and read by the cluster codec's own serializer (no reflective binding): Jackson only looks the
        // type up, and its public accessors, while it finds that serializer.
        hints.reflection().registerType(ReminderSchedule.class, MemberCategory.INTROSPECT_PUBLIC_METHODS);
    }
}
