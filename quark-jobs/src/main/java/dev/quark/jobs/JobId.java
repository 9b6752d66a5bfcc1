package dev.quark.jobs;

import java.time.Clock;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A job's identity: a UUID. The queue draws new ones in the time-ordered version 7 layout (milliseconds of the
 * clock, then random bits), so that ids sort by creation time, which is the order pages of jobs come in.
 * Within one JVM, ids drawn in the same millisecond keep the order they were drawn in (RFC 9562's method 1: the
 * 12 bits after the version count up), so jobs due at the same instant are claimed first-in, first-out.
 * Ids compare as unsigned 128-bit numbers, the way PostgreSQL orders {@code uuid}s.
 *
 * @param value the UUID
 */
public record JobId(UUID value) implements Comparable<JobId> {

    /** How far back a clock may step before the counter restarts from it: manual clocks in tests jump back. */
    private static final long COUNTER_WINDOW = 1_000L << 12;

    /** The last stamp drawn: the milliseconds shifted left by 12, plus the counter. */
    private static final AtomicLong lastStamp = new AtomicLong();

    /**
     * Validates the id.
     */
    public JobId {
        Objects.requireNonNull(value, "value must not be null");
    }

    /**
     * Draws a new id, time-ordered on a clock.
     * @param clock the clock whose milliseconds lead the id
     * @return the id
     */
    public static JobId next(Clock clock) {
        long base = (clock.millis() & 0xFFFF_FFFF_FFFFL) << 12;
        long stamp = lastStamp.accumulateAndGet(base,
                (last, now) -> (last >= now && last - now < COUNTER_WINDOW) ? last + 1 : now);
        long msb = ((stamp >>> 12) << 16) | 0x7000L | (stamp & 0x0FFFL);
        ThreadLocalRandom random = ThreadLocalRandom.current();
        long lsb = (random.nextLong() & 0x3FFF_FFFF_FFFF_FFFFL) | 0x8000_0000_0000_0000L;
        return new JobId(new UUID(msb, lsb));
    }

    /**
     * Reads an id from its text form.
     * @param text a UUID, for instance {@code 0191e5a4-9c3b-7d2e-8f00-1a2b3c4d5e6f}
     * @return the id
     * @throws IllegalArgumentException naming the text when it is not a UUID
     */
    public static JobId parse(String text) {
        Objects.requireNonNull(text, "text must not be null");
        try {
            if (text.length() != 36) {
                throw new IllegalArgumentException("length " + text.length());
            }
            return new JobId(UUID.fromString(text));
        }
        catch (IllegalArgumentException ex) {
            throw new IllegalArgumentException("'" + text + "' is not a job id: a job id is a UUID such as "
                    + "0191e5a4-9c3b-7d2e-8f00-1a2b3c4d5e6f", ex);
        }
    }

    @Override
    public int compareTo(JobId other) {
        int high = Long.compareUnsigned(this.value.getMostSignificantBits(), other.value.getMostSignificantBits());
        return (high != 0) ? high
                : Long.compareUnsigned(this.value.getLeastSignificantBits(), other.value.getLeastSignificantBits());
    }

    /**
     * Returns the UUID's text form.
     */
    @Override
    public String toString() {
        return this.value.toString();
    }
}
