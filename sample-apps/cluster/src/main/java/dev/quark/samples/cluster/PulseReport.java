package dev.quark.samples.cluster;

import java.time.Instant;
import java.util.List;

import org.jspecify.annotations.Nullable;

/**
 * A {@link Pulse} as {@code GET /pulses} shows it.
 *
 * @param id the pulse's id
 * @param beats how many ticks of its reminder it counted
 * @param lastScheduledAt the scheduled instant of the last tick counted, {@code null} before the first
 * @param lastFiredAt when the last tick counted was fired, {@code null} before the first
 * @param lastSilo the silo the last tick counted ran on, {@code null} before the first
 * @param registered whether its reminder is in the reminder table
 * @param repeats how many ticks came again for an instant already counted
 * @param gaps how many ticks came more than one period after the last one counted
 * @param oneShotRegistered whether its one-shot reminder is in the reminder table (until its tick was delivered)
 * @param oneShots how many deliveries of its one-shot reminder came
 * @param recent its last deliveries, oldest first
 */
public record PulseReport(String id, long beats, @Nullable Instant lastScheduledAt, @Nullable Instant lastFiredAt,
        @Nullable String lastSilo, boolean registered, long repeats, long gaps, boolean oneShotRegistered,
        long oneShots, List<PulseTick> recent) {

    static PulseReport of(String id, PulseState state, boolean registered, boolean oneShotRegistered) {
        return new PulseReport(id, state.beats(), state.lastScheduledAt(), state.lastFiredAt(), state.lastSilo(),
                registered, state.repeats(), state.gaps(), oneShotRegistered, state.oneShots(), state.recent());
    }
}
