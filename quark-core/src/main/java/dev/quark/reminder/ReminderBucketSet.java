package dev.quark.reminder;

import java.util.BitSet;
import java.util.Collection;
import java.util.stream.IntStream;

import org.jspecify.annotations.Nullable;

/**
 * An immutable set of reminder buckets: those a silo owns, or those a table is asked about.
 */
public final class ReminderBucketSet {

    private static final ReminderBucketSet ALL;

    private static final ReminderBucketSet NONE = new ReminderBucketSet(new BitSet(ReminderBuckets.COUNT));

    static {
        BitSet all = new BitSet(ReminderBuckets.COUNT);
        all.set(0, ReminderBuckets.COUNT);
        ALL = new ReminderBucketSet(all);
    }

    private final BitSet buckets;

    private final int[] members;

    private ReminderBucketSet(BitSet buckets) {
        this.buckets = buckets;
        this.members = buckets.stream().toArray();
    }

    /**
     * Returns every bucket: what the only silo of an application owns.
     * @return the set of all buckets
     */
    public static ReminderBucketSet all() {
        return ALL;
    }

    /**
     * Returns no bucket.
     * @return the empty set
     */
    public static ReminderBucketSet none() {
        return NONE;
    }

    /**
     * Returns a set of buckets.
     * @param buckets the buckets, each {@code 0} to {@code ReminderBuckets.COUNT - 1}
     * @return the set
     * @throws IllegalArgumentException naming a bucket out of range
     */
    public static ReminderBucketSet of(int... buckets) {
        BitSet set = new BitSet(ReminderBuckets.COUNT);
        for (int bucket : buckets) {
            set.set(ReminderBuckets.check(bucket));
        }
        return new ReminderBucketSet(set);
    }

    /**
     * Returns a set of buckets.
     * @param buckets the buckets, each {@code 0} to {@code ReminderBuckets.COUNT - 1}
     * @return the set
     * @throws IllegalArgumentException naming a bucket out of range
     */
    public static ReminderBucketSet of(Collection<Integer> buckets) {
        return of(buckets.stream().mapToInt(Integer::intValue).toArray());
    }

    /**
     * Returns whether the set holds a bucket.
     * @param bucket the bucket
     * @return whether it is a member
     */
    public boolean contains(int bucket) {
        return this.buckets.get(bucket);
    }

    /**
     * Returns how many buckets the set holds.
     * @return the size
     */
    public int size() {
        return this.members.length;
    }

    /**
     * Returns whether the set holds no bucket.
     * @return whether it is empty
     */
    public boolean isEmpty() {
        return this.members.length == 0;
    }

    /**
     * Returns whether the set holds every bucket.
     * @return whether it is {@link #all()}
     */
    public boolean isAll() {
        return this.members.length == ReminderBuckets.COUNT;
    }

    /**
     * Returns the buckets in ascending order.
     * @return a new array
     */
    public int[] toArray() {
        return this.members.clone();
    }

    /**
     * Returns the buckets in ascending order.
     * @return a stream of them
     */
    public IntStream stream() {
        return IntStream.of(this.members);
    }

    /**
     * Returns the buckets of this set that another lacks.
     * @param other the other set
     * @return the difference
     */
    public ReminderBucketSet minus(ReminderBucketSet other) {
        BitSet difference = (BitSet) this.buckets.clone();
        difference.andNot(other.buckets);
        return new ReminderBucketSet(difference);
    }

    @Override
    public boolean equals(@Nullable Object other) {
        return this == other || (other instanceof ReminderBucketSet set && this.buckets.equals(set.buckets));
    }

    @Override
    public int hashCode() {
        return this.buckets.hashCode();
    }

    @Override
    public String toString() {
        return isAll() ? "all " + ReminderBuckets.COUNT + " buckets" : size() + " buckets " + this.buckets;
    }
}
