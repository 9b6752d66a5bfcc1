package dev.quark.samples.cluster;

import java.time.Instant;

import dev.quark.actor.Actor;

/**
 * A pulse: an actor that counts the ticks of a periodic reminder. Reminders live in the reminder table, so a pulse
 * keeps beating whatever happens to the silo that hosts it or to the silo that fires its reminder: a silo killed
 * with {@code SIGKILL} leaves its buckets of the table and its actors to the survivors, and the beats go on there.
 * {@code POST /pulses/{id}?periodMillis=} starts one, {@code POST /pulses/{id}/once?dueAt=} gives it a one-shot
 * reminder, {@code GET /pulses?ids=} reads them ({@link PulseController}).
 */
public interface Pulse extends Actor {

    /**
     * Registers the pulse's reminder, or replaces it with a new period (its schedule starts again); the beats
     * counted so far are kept.
     * @param periodMillis the period, in milliseconds, at least 1
     * @return the pulse as it is now
     */
    PulseReport start(long periodMillis);

    /**
     * Registers the pulse's one-shot reminder, or replaces it: one tick at an instant (at once if it has passed),
     * counted beside the beats.
     * @param dueAt when it falls due
     * @return the pulse as it is now
     */
    PulseReport remindOnce(Instant dueAt);

    /**
     * Reads the pulse.
     * @return its beats and whether its reminder is registered
     */
    PulseReport report();
}
