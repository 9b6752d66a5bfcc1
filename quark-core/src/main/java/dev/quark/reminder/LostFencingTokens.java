package dev.quark.reminder;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import dev.quark.lease.FencingToken;
import dev.quark.lease.Lease;
import dev.quark.lease.LeaseStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells a lease store that lost its fencing tokens from a newer owner of a bucket, and brings the store back above
 * the table's stamps. A stamp is refused when the bucket holds a greater token. While the lease that was refused is
 * still valid, no other silo can have been granted the bucket since (the store grants one unexpired lease per
 * resource), so a greater stamp was written with a token the store issued before it lost its tokens (Redis restarted
 * without persistence, a lease table restored from an older backup). Left alone, such a store hands out tokens below
 * the stamps until its counter catches up, the table refuses every stamp, and the buckets' reminders stop firing. So
 * the bucket's stamp is read ({@link ReminderTable#stamps}), the store's tokens raised above it
 * ({@link LeaseStore#raiseTokensAbove}), and the caller releases the lease: the next claim gets a token that stamps.
 * A store or table that cannot do its part is logged at {@code ERROR}, and nothing else changes.
 */
final class LostFencingTokens {

    private static final Logger logger = LoggerFactory.getLogger(LostFencingTokens.class);

    /** The most buckets a log line names one by one. */
    private static final int NAMED = 10;

    private final LeaseStore store;

    private final ReminderTable table;

    LostFencingTokens(LeaseStore store, ReminderTable table) {
        this.store = store;
        this.table = table;
    }

    /**
     * Looks at the leases whose stamp the table refused and, for those still valid whose bucket holds a greater stamp,
     * raises the store's tokens above it. Never throws: what cannot be done is logged, and the next claim tries again.
     * @param refused the leases whose stamp was refused
     * @param now the instant, on the clock that computed the leases' validity
     * @return the buckets found stamped above their valid lease's token
     */
    ReminderBucketSet recover(List<Lease> refused, Instant now) {
        List<Lease> valid = refused.stream().filter((lease) -> lease.isValidAt(now)).toList();
        if (valid.size() < refused.size()) {
            logger.warn("Reminder buckets of {} leases hold newer fencing tokens than granted; releasing them",
                    refused.stream().filter((lease) -> !lease.isValidAt(now)).toList());
        }
        if (valid.isEmpty()) {
            return ReminderBucketSet.none();
        }
        List<Lost> lost;
        try {
            Map<Integer, FencingToken> stamps = this.table.stamps(ReminderBucketSet.of(buckets(valid)));
            lost = new ArrayList<>();
            for (Lease lease : valid) {
                int bucket = BucketLeases.bucketOf(lease.resource());
                FencingToken stamp = stamps.get(bucket);
                if (stamp != null && stamp.isNewerThan(lease.token())) {
                    lost.add(new Lost(bucket, lease, stamp));
                }
            }
        }
        catch (UnsupportedOperationException ex) {
            logger.error("The stamps of reminder buckets {} refused their valid leases' tokens, and the table cannot "
                    + "tell whether the lease store lost its tokens: {}", buckets(valid), ex.getMessage());
            return ReminderBucketSet.none();
        }
        catch (RuntimeException ex) {
            logger.warn("Could not read the stamps of reminder buckets {} that refused their valid leases' tokens; "
                    + "trying again at the next claim: {}", buckets(valid), ex.toString());
            return ReminderBucketSet.none();
        }
        if (lost.isEmpty()) {
            return ReminderBucketSet.none();
        }
        lost.sort(Comparator.comparing(Lost::stamp).reversed());
        logger.error("The lease store {} granted valid leases on {} reminder buckets with fencing tokens below the "
                + "stamps the table holds for them, so every write of their reminders would be refused: the store "
                + "lost its tokens (Redis restarted without persistence?). Raising its tokens above the stamps and "
                + "claiming the buckets again: {}", this.store, lost.size(), describe(lost));
        try {
            for (Lost bucket : lost) {
                this.store.raiseTokensAbove(bucket.lease().resource(), bucket.stamp());
            }
        }
        catch (UnsupportedOperationException ex) {
            logger.error("Cannot raise the lease store's tokens, so reminder buckets {} fire again only once the "
                    + "store's tokens exceed their stamps: {}", buckets(lost.stream().map(Lost::lease).toList()),
                    ex.getMessage());
        }
        catch (RuntimeException ex) {
            logger.warn("Could not raise the lease store's tokens above the stamps of reminder buckets {}; trying "
                    + "again at the next claim: {}", buckets(lost.stream().map(Lost::lease).toList()), ex.toString());
        }
        return ReminderBucketSet.of(lost.stream().map(Lost::bucket).toList());
    }

    private static List<Integer> buckets(List<Lease> leases) {
        return leases.stream().map((lease) -> BucketLeases.bucketOf(lease.resource())).sorted().toList();
    }

    private static String describe(List<Lost> lost) {
        String named = lost.stream()
            .limit(NAMED)
            .map((bucket) -> "bucket " + bucket.bucket() + " (token " + bucket.lease().token() + ", stamp "
                    + bucket.stamp() + ")")
            .collect(Collectors.joining(", "));
        return (lost.size() > NAMED) ? named + " and " + (lost.size() - NAMED) + " more" : named;
    }

    /** A bucket whose valid lease's token is below its stamp. */
    private record Lost(int bucket, Lease lease, FencingToken stamp) {
    }
}
