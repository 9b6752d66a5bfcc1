package dev.quark.benchmarks.reminders;

import dev.quark.actor.Remindable;

/**
 * An actor of the reminders workload: it receives one periodic reminder and records how late each tick came.
 */
public interface Beeper extends Remindable {

    /**
     * Returns how many ticks this activation received.
     * @return the count
     */
    long received();
}
