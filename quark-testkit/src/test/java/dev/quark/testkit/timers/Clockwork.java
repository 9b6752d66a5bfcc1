package dev.quark.testkit.timers;

import java.util.List;

import dev.quark.actor.Actor;

public interface Clockwork extends Actor {

    /** Registers a timer; ticks record the clock's offset from the start, in milliseconds. */
    void start(String name, long dueMillis, long periodMillis, boolean keepsAlive);

    /** Cancels a timer by name. */
    boolean stop(String name);

    /** Cancels a timer through the handle registration returned. */
    boolean stopByHandle(String name);

    /** Returns whether the timer's handle says it is active. */
    boolean isActive(String name);

    /** Returns the ticks seen by this activation, as "name@millis". */
    List<String> ticks();

    /** Holds the turn until the gate opens. */
    void hold(String gate);

    /** A quick turn. */
    int touch();
}
