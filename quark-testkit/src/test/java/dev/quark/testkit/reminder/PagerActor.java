package dev.quark.testkit.reminder;

import java.time.Duration;
import java.time.Instant;

import dev.quark.actor.AbstractActor;
import dev.quark.actor.QuarkActor;
import dev.quark.actor.ReminderSchedule;
import dev.quark.actor.ReminderStatus;
import dev.quark.actor.Remindable;

@QuarkActor
public class PagerActor extends AbstractActor implements Pager, Remindable {

    private final PagerEnvironment environment;

    public PagerActor(PagerEnvironment environment) {
        this.environment = environment;
    }

    @Override
    public void page(String name, ReminderSchedule schedule) {
        registerReminder(name, schedule);
    }

    @Override
    public boolean stop(String name) {
        return unregisterReminder(name);
    }

    @Override
    public int reminderCount() {
        return listReminders().size();
    }

    @Override
    public void touch() {
    }

    @Override
    public void everyFrom(String name, long periodMillis, long firstEpochMillis) {
        registerReminder(name, ReminderSchedule.every(Duration.ofMillis(periodMillis))
            .startingAt(Instant.ofEpochMilli(firstEpochMillis)));
    }

    @Override
    public void receiveReminder(String name, ReminderStatus status) {
        this.environment.received(actorId(), name, status);
        PagerEnvironment.Behaviour behaviour = this.environment.behaviour(actorId() + "/" + name);
        if (behaviour != null) {
            behaviour.onTick(this, status);
        }
    }

    /** Lets a behaviour register a reminder from inside the tick. */
    void reRegister(String name, ReminderSchedule schedule) {
        registerReminder(name, schedule);
    }

    /** Lets a behaviour unregister a reminder from inside the tick. */
    void unregister(String name) {
        unregisterReminder(name);
    }
}
