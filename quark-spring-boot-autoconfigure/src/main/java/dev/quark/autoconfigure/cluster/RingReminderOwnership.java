package dev.quark.autoconfigure.cluster;

import java.util.ArrayList;
import java.util.List;

import dev.quark.cluster.membership.ClusterView;
import dev.quark.cluster.membership.ClusterViewSource;
import dev.quark.cluster.ring.HashRing;
import dev.quark.reminder.ReminderBucketOwnership;
import dev.quark.reminder.ReminderBucketSet;
import dev.quark.reminder.ReminderBuckets;

/**
 * The reminder buckets a silo owns in the current view: a bucket is a contiguous range of the ring's hash
 * space, and its owner is the ring's owner of the bucket's first hash. Every silo computes the same split from
 * the same view. Computed once per view version.
 */
final class RingReminderOwnership implements ReminderBucketOwnership {

    private final String siloId;

    private final ClusterViewSource views;

    private volatile Owned owned = new Owned(-1, ReminderBucketSet.none());

    RingReminderOwnership(String siloId, ClusterViewSource views) {
        this.siloId = siloId;
        this.views = views;
    }

    @Override
    public ReminderBucketSet ownedBuckets() {
        ClusterView view = this.views.current();
        Owned current = this.owned;
        if (current.version() != view.version()) {
            current = new Owned(view.version(), bucketsOf(this.siloId, view.ring()));
            this.owned = current;
        }
        return current.buckets();
    }

    static ReminderBucketSet bucketsOf(String siloId, HashRing ring) {
        List<Integer> buckets = new ArrayList<>();
        for (int bucket = 0; bucket < ReminderBuckets.COUNT; bucket++) {
            if (siloId.equals(ring.ownerOf(ReminderBuckets.firstHash(bucket)))) {
                buckets.add(bucket);
            }
        }
        return ReminderBucketSet.of(buckets);
    }

    private record Owned(long version, ReminderBucketSet buckets) {
    }
}
