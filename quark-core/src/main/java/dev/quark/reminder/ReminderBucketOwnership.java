package dev.quark.reminder;

/**
 * Which reminder buckets this silo fires the reminders of. One silo owns them all; in a cluster, each silo owns
 * the buckets the hash ring gives it, and the cluster calls {@link ReminderTickManager#ownershipChanged()} when
 * membership changes, so that the silo drops the buckets it lost and loads those it gained.
 */
@FunctionalInterface
public interface ReminderBucketOwnership {

    /** One silo: every bucket is this silo's. */
    ReminderBucketOwnership ALL_BUCKETS = ReminderBucketSet::all;

    /**
     * Returns the buckets this silo owns now. Called on every refresh of the tick manager and on every
     * ownership change; it must answer quickly.
     * @return the owned buckets
     */
    ReminderBucketSet ownedBuckets();
}
