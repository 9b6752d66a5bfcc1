package dev.quark.runtime;

import dev.quark.actor.ActorReminders;

/**
 * Gives each activation the reminders of its actor, for {@link dev.quark.actor.AbstractActor}'s reminder
 * methods. The runtime knows nothing about reminders: the reminder service ({@code dev.quark.reminder}) implements
 * this and is given to {@link ActorRuntime.Builder#reminders(ActorReminderSource)}. Called on every use, from
 * the actor's own code; an implementation returns a light view.
 */
@FunctionalInterface
public interface ActorReminderSource {

    /** No reminder service: an actor's reminder methods fail with a message that says how to add one. */
    ActorReminderSource NONE = (type, address) -> {
        throw new IllegalStateException("Actor " + address + " uses reminders, but this runtime has no reminder "
                + "service: give ActorRuntime.Builder.reminders(...) a ReminderRegistry (the Spring Boot starter does, "
                + "unless quark.reminders.enabled=false)");
    };

    /**
     * Returns the reminders of an actor.
     * @param type the actor's type, hosted by this runtime
     * @param address the actor's address
     * @return the actor's reminders
     * @throws IllegalStateException when reminders are not available
     */
    ActorReminders remindersOf(ActorTypeView type, ActorAddress address);
}
