package dev.quark.testkit.reminder;

import java.time.Duration;

import dev.quark.actor.Actor;
import dev.quark.actor.ReminderSchedule;

public interface Pager extends Actor {

    void page(String name, ReminderSchedule schedule);

    boolean stop(String name);

    int reminderCount();

    /** A quick turn. */
    void touch();

    /**
     * Registers a periodic reminder from plain values, which any codec carries between silos.
     * @param name the reminder
     * @param periodMillis its period
     * @param firstEpochMillis the instant of its first tick
     */
    void everyFrom(String name, long periodMillis, long firstEpochMillis);

    /** Registers a periodic reminder built in the actor. */
    default void every(String name, Duration period) {
        page(name, ReminderSchedule.every(period));
    }
}
