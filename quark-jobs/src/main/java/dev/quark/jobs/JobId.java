package dev.quark.jobs;

import java.time.Clock;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A job's identity: a UUID. The queue draws new ones in the time-ordered version 7 layout (milliseconds of the
 * clock, then random bits), so that ids sort by creation time, which is the order pages of jobs come in.
 * Ids compare as unsigned 128-bit numbers, the way PostgreSQL orders {@code uuid}s.
 *
 * @param value the UUID
 */
public record JobId(UUID value) implements Comparable<JobId> {

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
        ThreadLocalRandom random = ThreadLocalRandom.current();
        long millis = clock.millis() & 0xFFFF_FFFF_FFFFL;
        long msb = (millis << 16) | 0x7000L | (random.nextLong() & 0x0FFFL);
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
