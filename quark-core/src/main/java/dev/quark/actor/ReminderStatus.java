package dev.quark.actor;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;

import org.jspecify.annotations.Nullable;

/**
 * One tick of a reminder as {@link Remindable#receiveReminder(String, ReminderStatus)} receives it.
 * <p>
 * {@code scheduledAt} identifies the tick: it is the instant of the schedule this tick stands for, the same
 * on every delivery of that tick. A tick delivered again after a crash, a tick of any reminder tried again because
 * its call did not reach the actor, or a one-shot reminder retried after a failure, carries the same
 * {@code scheduledAt}; an actor that must act once per tick records the last
 * {@code scheduledAt} it handled and ignores one that is not later. A tick missed while no silo ran the
 * reminder is delivered once on recovery with the first missed instant, so {@code firedAt} may be far later
 * than {@code scheduledAt}.
 *
 * @param scheduledAt the instant of the schedule this tick stands for
 * @param firedAt when the tick was fired, on the runtime's clock
 * @param payload the payload the reminder was registered with, empty when none
 * @param attempt 1 for the first delivery of this tick, more for a retry: of a tick of any reminder, periodic or
 * one-shot, whose call did not reach the actor (its silo unreachable, its mailbox full), or of a one-shot reminder
 * whose {@code receiveReminder} failed or timed out
 */
@SuppressWarnings("ArrayRecordComponent") // the payload is copied in and out, and equals compares it
public record ReminderStatus(Instant scheduledAt, Instant firedAt, byte[] payload, int attempt) {

    /**
     * Validates the components and copies the payload.
     */
    public ReminderStatus {
        Objects.requireNonNull(scheduledAt, "scheduledAt must not be null");
        Objects.requireNonNull(firedAt, "firedAt must not be null");
        payload = Objects.requireNonNull(payload, "payload must not be null").clone();
        if (attempt < 1) {
            throw new IllegalArgumentException("attempt must be at least 1, was " + attempt);
        }
    }

    /**
     * Returns a copy of the payload.
     * @return the payload's bytes
     */
    @Override
    public byte[] payload() {
        return this.payload.clone();
    }

    /**
     * Returns the payload read as UTF-8 text.
     * @return the payload as a string, empty when there is none
     */
    public String payloadAsString() {
        return new String(this.payload, StandardCharsets.UTF_8);
    }

    @Override
    public boolean equals(@Nullable Object other) {
        return this == other || (other instanceof ReminderStatus status && this.scheduledAt.equals(status.scheduledAt)
                && this.firedAt.equals(status.firedAt) && Arrays.equals(this.payload, status.payload)
                && this.attempt == status.attempt);
    }

    @Override
    public int hashCode() {
        return Objects.hash(this.scheduledAt, this.firedAt, Arrays.hashCode(this.payload), this.attempt);
    }

    @Override
    public String toString() {
        return "ReminderStatus[scheduledAt=" + this.scheduledAt + ", firedAt=" + this.firedAt + ", payload="
                + this.payload.length + " bytes, attempt=" + this.attempt + "]";
    }
}
