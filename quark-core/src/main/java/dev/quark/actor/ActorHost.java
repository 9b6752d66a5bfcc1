package dev.quark.actor;

import java.time.Duration;
import java.util.List;

/**
 * What an {@link AbstractActor} sees of the activation that hosts it. A service-provider interface between
 * the actor API and the runtime: the runtime implements it and attaches it to each instance it creates;
 * applications neither implement nor call it.
 */
public interface ActorHost {

    /**
     * Returns the id of the hosted actor.
     * @return the actor id
     */
    String actorId();

    /**
     * Returns the context of the turn being served.
     * @return the context
     * @throws IllegalStateException when no turn of the hosted actor is running on the calling thread
     */
    ActorContext currentContext();

    /**
     * Deactivates the hosted actor once the current turn ends; see {@link AbstractActor#deactivateOnIdle()}.
     */
    void deactivateOnIdle();

    /**
     * Registers or replaces a timer; see
     * {@link AbstractActor#registerTimer(String, Duration, Duration, TimerOptions, Runnable)}.
     * @param name the timer's name
     * @param dueTime how long until the first tick
     * @param period the time between ticks
     * @param options the timer's options
     * @param callback runs on every tick
     * @return the timer
     */
    ActorTimer registerTimer(String name, Duration dueTime, Duration period, TimerOptions options, Runnable callback);

    /**
     * Cancels a timer by name; see {@link AbstractActor#cancelTimer(String)}.
     * @param name the timer's name
     * @return whether a timer of that name was active
     */
    boolean cancelTimer(String name);

    /**
     * Returns the hosted actor's reminders; see {@link AbstractActor#registerReminder(String, ReminderSchedule)}.
     * @return the reminders
     * @throws IllegalStateException when the runtime has no reminder service
     */
    ActorReminders reminders();

    /**
     * Returns a reference to a supervised child; see {@link AbstractActor#spawnChild(Class, String)}.
     * @param contract the child's contract
     * @param childId the child's actor id
     * @param <T> the contract type
     * @return a reference to the child
     */
    <T extends Actor> T spawnChild(Class<T> contract, String childId);

    /**
     * Returns the hosted actor's children, in spawn order.
     * @return references to the children
     */
    List<ActorRef> children();
}
