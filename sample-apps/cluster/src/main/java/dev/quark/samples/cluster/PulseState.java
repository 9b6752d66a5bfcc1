package dev.quark.samples.cluster;

import java.time.Instant;

import dev.quark.actor.ReminderStatus;
import org.jspecify.annotations.Nullable;

/**
 * What a {@link Pulse} keeps in persistent state.
 *
 * @param beats how many ticks of its reminder it counted
 * @param lastScheduledAt the scheduled instant of the last tick counted, {@code null} before the first: a tick is
 * delivered at least once, and a tick delivered again carries the same instant, so each instant counts once
 * @param lastFiredAt when the last tick counted was fired
 * @param lastSilo the silo the last tick counted ran on
 */
public record PulseState(long beats, @Nullable Instant lastScheduledAt, @Nullable Instant lastFiredAt,
        @Nullable String lastSilo) {

    /** The state of a pulse that never beat. */
    public static final PulseState EMPTY = new PulseState(0, null, null, null);

    /**
     * Returns whether a tick is one this pulse has not counted yet: later than the last one it counted.
     * @param tick the tick
     * @return whether it counts
     */
    boolean counts(ReminderStatus tick) {
        return this.lastScheduledAt == null || tick.scheduledAt().isAfter(this.lastScheduledAt);
    }

    PulseState beat(ReminderStatus tick, String silo) {
        return new PulseState(this.beats + 1, tick.scheduledAt(), tick.firedAt(), silo);
    }
}
