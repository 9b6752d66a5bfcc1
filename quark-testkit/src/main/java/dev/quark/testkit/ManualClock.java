package dev.quark.testkit;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Objects;

/**
 * A clock that moves only when a test moves it, so that idle timeouts, timers, reminders, leases and
 * retries can be tested without sleeping. Safe to read from any thread.
 */
public final class ManualClock extends Clock {

    /** Where a clock created without a start instant begins. */
    public static final Instant DEFAULT_START = Instant.parse("2026-01-01T00:00:00Z");

    private final ZoneId zone;

    private volatile Instant now;

    /**
     * Creates a clock at {@link #DEFAULT_START}, in UTC.
     */
    public ManualClock() {
        this(DEFAULT_START);
    }

    /**
     * Creates a clock at the given instant, in UTC.
     * @param start the instant the clock shows until it is moved
     */
    public ManualClock(Instant start) {
        this(start, ZoneOffset.UTC);
    }

    private ManualClock(Instant start, ZoneId zone) {
        this.now = Objects.requireNonNull(start, "start must not be null");
        this.zone = Objects.requireNonNull(zone, "zone must not be null");
    }

    /**
     * Moves the clock forward.
     * @param duration how far, not negative
     * @return the new instant
     */
    public synchronized Instant advance(Duration duration) {
        Objects.requireNonNull(duration, "duration must not be null");
        if (duration.isNegative()) {
            throw new IllegalArgumentException("A manual clock only moves forward; cannot advance by " + duration);
        }
        this.now = this.now.plus(duration);
        return this.now;
    }

    /**
     * Sets the clock to an instant, which may lie in the past to test clock skew.
     * @param instant the new instant
     */
    public synchronized void set(Instant instant) {
        this.now = Objects.requireNonNull(instant, "instant must not be null");
    }

    @Override
    public Instant instant() {
        return this.now;
    }

    @Override
    public long millis() {
        return this.now.toEpochMilli();
    }

    @Override
    public ZoneId getZone() {
        return this.zone;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        return new ZonedView(this, zone);
    }

    @Override
    public String toString() {
        return "ManualClock[" + this.now + "]";
    }

    /**
     * This clock seen in another zone; moving this clock moves the view.
     */
    private static final class ZonedView extends Clock {

        private final ManualClock source;

        private final ZoneId zone;

        ZonedView(ManualClock source, ZoneId zone) {
            this.source = source;
            this.zone = zone;
        }

        @Override
        public Instant instant() {
            return this.source.instant();
        }

        @Override
        public ZoneId getZone() {
            return this.zone;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return new ZonedView(this.source, zone);
        }
    }
}
