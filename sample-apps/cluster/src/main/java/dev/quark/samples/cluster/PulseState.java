package dev.quark.samples.cluster;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

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
 * @param repeats how many ticks came for an instant already counted: deliveries of one instant twice, which the
 * reminders avoid in normal operation and may make across a crash
 * @param gaps how many ticks came more than one period after the last one counted (instants not delivered: a tick
 * skipped because the one before still ran, or instants missed while no silo owned the reminder, which fire once on
 * recovery), counted only between ticks of one schedule
 * @param periodMillis the period the pulse was last started with, {@code 0} when unknown
 * @param scheduleStartedAt when the pulse was last started: ticks counted before it belong to an earlier schedule
 * @param oneShots how many deliveries of its one-shot reminder came, a second one of the same instant included
 * @param recent the last {@value #RECENT} deliveries of either reminder, oldest first, repeats included
 */
public record PulseState(long beats, @Nullable Instant lastScheduledAt, @Nullable Instant lastFiredAt,
        @Nullable String lastSilo, long repeats, long gaps, long periodMillis, @Nullable Instant scheduleStartedAt,
        long oneShots, List<PulseTick> recent) {

    /** How many deliveries {@link #recent} keeps. */
    static final int RECENT = 40;

    /** The state of a pulse that never beat. */
    public static final PulseState EMPTY = new PulseState(0, null, null, null, 0, 0, 0, null, 0, List.of());

    /**
     * Reads a state stored before {@code recent} existed as having none.
     */
    public PulseState {
        recent = (recent != null) ? List.copyOf(recent) : List.of();
    }

    /**
     * Returns whether a tick is one this pulse has not counted yet: later than the last one it counted.
     * @param tick the tick
     * @return whether it counts
     */
    boolean counts(ReminderStatus tick) {
        return this.lastScheduledAt == null || tick.scheduledAt().isAfter(this.lastScheduledAt);
    }

    PulseState beat(ReminderStatus tick, String silo) {
        return new PulseState(this.beats + 1, tick.scheduledAt(), tick.firedAt(), silo, this.repeats,
                skipsInstants(tick) ? this.gaps + 1 : this.gaps, this.periodMillis, this.scheduleStartedAt,
                this.oneShots, recentWith(PulseActor.REMINDER, tick, silo));
    }

    PulseState repeated(ReminderStatus tick, String silo) {
        return new PulseState(this.beats, this.lastScheduledAt, this.lastFiredAt, this.lastSilo, this.repeats + 1,
                this.gaps, this.periodMillis, this.scheduleStartedAt, this.oneShots,
                recentWith(PulseActor.REMINDER, tick, silo));
    }

    PulseState once(ReminderStatus tick, String silo) {
        return new PulseState(this.beats, this.lastScheduledAt, this.lastFiredAt, this.lastSilo, this.repeats,
                this.gaps, this.periodMillis, this.scheduleStartedAt, this.oneShots + 1,
                recentWith(PulseActor.ONCE, tick, silo));
    }

    PulseState started(long period, Instant at) {
        return new PulseState(this.beats, this.lastScheduledAt, this.lastFiredAt, this.lastSilo, this.repeats,
                this.gaps, period, at, this.oneShots, this.recent);
    }

    private List<PulseTick> recentWith(String reminder, ReminderStatus tick, String silo) {
        List<PulseTick> kept = new ArrayList<>(this.recent.subList(Math.max(0, this.recent.size() - RECENT + 1),
                this.recent.size()));
        kept.add(new PulseTick(reminder, tick.scheduledAt(), tick.firedAt(), silo));
        return kept;
    }

    private boolean skipsInstants(ReminderStatus tick) {
        Instant last = this.lastScheduledAt;
        Instant started = this.scheduleStartedAt;
        return last != null && started != null && this.periodMillis > 0 && last.isAfter(started)
                && tick.scheduledAt().toEpochMilli() - last.toEpochMilli() > this.periodMillis;
    }
}
