package dev.quark.cluster.membership;

import java.time.Clock;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;

/**
 * An instant and the one after which the time since it counts as too long ({@code at} plus a bound), worked out once
 * when it is recorded: {@link SiloMembership#isServing()} compares against its last renewal and its last round on
 * every call, so it needs no {@link Duration} per call. {@link #isOver(Instant)} is exactly
 * {@code Duration.between(at, now) > bound}; so is {@link #isOver(long, Clock)}, which reads the clock's instant only
 * in the millisecond of the bound and its milliseconds otherwise, for a clock whose {@link Clock#millis()} are always
 * its instant's milliseconds rounded down (the JDK's system clock; not every clock: {@link Clock#offset} by a fraction
 * of a millisecond or {@link Clock#tick} by one are not).
 *
 * @param at the instant recorded
 * @param overAfter {@code at} plus the bound
 * @param overAfterMillis {@code overAfter} in epoch milliseconds, rounded down
 */
record Since(Instant at, Instant overAfter, long overAfterMillis) {

    /**
     * Records an instant with a bound; a bound so long that {@code at} plus it is past what an {@link Instant} or
     * epoch milliseconds hold is never over.
     */
    static Since of(Instant at, Duration bound) {
        Instant overAfter;
        try {
            overAfter = at.plus(bound);
        }
        catch (DateTimeException | ArithmeticException ex) {
            overAfter = Instant.MAX;
        }
        long overAfterMillis;
        try {
            overAfterMillis = overAfter.toEpochMilli();
        }
        catch (ArithmeticException ex) {
            overAfterMillis = Long.MAX_VALUE;
        }
        return new Since(at, overAfter, overAfterMillis);
    }

    /** Whether the time since {@code at} is longer than the bound at an instant. */
    boolean isOver(Instant now) {
        return now.isAfter(this.overAfter);
    }

    /**
     * Whether the time since {@code at} is longer than the bound at a clock's millisecond: a millisecond after the
     * bound's is, one before it is not; in the bound's own millisecond the clock's instant decides.
     * @param nowMillis the clock's milliseconds, read by the caller
     * @param clock the clock, read again only in the bound's millisecond; its milliseconds must be its instant's
     */
    boolean isOver(long nowMillis, Clock clock) {
        return (nowMillis != this.overAfterMillis) ? nowMillis > this.overAfterMillis : isOver(clock.instant());
    }
}
