package dev.quark.samples.cluster;

import java.time.Instant;

/**
 * One delivery of a {@link Pulse}'s reminder, as the pulse recorded it.
 *
 * @param reminder the reminder's name: {@value PulseActor#REMINDER} for the periodic beat,
 * {@value PulseActor#ONCE} for the one-shot
 * @param scheduledAt the instant of the schedule the tick stands for
 * @param firedAt when it was fired
 * @param silo the silo the tick's turn ran on
 */
public record PulseTick(String reminder, Instant scheduledAt, Instant firedAt, String silo) {
}
