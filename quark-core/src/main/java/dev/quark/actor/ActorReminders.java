package dev.quark.actor;

import java.util.List;
import java.util.Optional;

/**
 * The reminders of one actor: what {@link AbstractActor}'s reminder methods use. A service-provider interface
 * between the actor API and the reminder service, which implements it; applications call the methods of
 * {@link AbstractActor} instead.
 */
public interface ActorReminders {

    /**
     * Registers a reminder, or replaces the one with the same name; see
     * {@link AbstractActor#registerReminder(String, ReminderSchedule, byte[])}.
     * @param name the reminder's name
     * @param schedule when it ticks
     * @param payload delivered with every tick
     * @return the registered reminder
     */
    Reminder register(String name, ReminderSchedule schedule, byte[] payload);

    /**
     * Removes a reminder; see {@link AbstractActor#unregisterReminder(String)}.
     * @param name the reminder's name
     * @return whether a reminder of that name existed
     */
    boolean unregister(String name);

    /**
     * Reads a reminder; see {@link AbstractActor#getReminder(String)}.
     * @param name the reminder's name
     * @return the reminder, empty when none has that name
     */
    Optional<Reminder> get(String name);

    /**
     * Reads every reminder of the actor; see {@link AbstractActor#listReminders()}.
     * @return the reminders, by name
     */
    List<Reminder> list();
}
