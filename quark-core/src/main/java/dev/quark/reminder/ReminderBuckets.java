package dev.quark.reminder;

import dev.quark.cluster.ring.RingHash;
import dev.quark.runtime.ActorAddress;

/**
 * How reminders are partitioned: into {@value #COUNT} buckets by their actor's {@link RingHash}, bucket
 * {@code b} holding the actors whose hash has {@code b} as its top ten bits. A bucket is therefore a contiguous
 * range of the ring's hash space, from {@link #firstHash(int)} to {@link #lastHash(int)} (in the ring's signed
 * order too, since the sign bit is part of the bucket), and every reminder of one actor is in one bucket. A
 * silo owns whole buckets, so that a membership change moves buckets rather than re-splitting keys, and a
 * table reads the due reminders of a silo bucket by bucket. The number is fixed: changing it would move every
 * stored reminder.
 */
public final class ReminderBuckets {

    /** The number of buckets. */
    public static final int COUNT = 1024;

    /** How far a hash is shifted right to leave its top ten bits. */
    private static final int SHIFT = Long.SIZE - Integer.numberOfTrailingZeros(COUNT);

    private ReminderBuckets() {
    }

    /**
     * Returns the bucket of an actor.
     * @param actor the actor's address
     * @return the top ten bits of its ring hash, {@code 0} to {@value #COUNT}{@code - 1}
     */
    public static int of(ActorAddress actor) {
        return (int) (RingHash.of(actor) >>> SHIFT);
    }

    /**
     * Returns the first ring hash of a bucket.
     * @param bucket the bucket
     * @return the lowest hash whose top ten bits are the bucket
     */
    public static long firstHash(int bucket) {
        return (long) check(bucket) << SHIFT;
    }

    /**
     * Returns the last ring hash of a bucket.
     * @param bucket the bucket
     * @return the highest hash whose top ten bits are the bucket
     */
    public static long lastHash(int bucket) {
        return firstHash(bucket) | ((1L << SHIFT) - 1);
    }

    static int check(int bucket) {
        if (bucket < 0 || bucket >= COUNT) {
            throw new IllegalArgumentException("Reminder bucket must be between 0 and " + (COUNT - 1) + ", was " + bucket);
        }
        return bucket;
    }
}
