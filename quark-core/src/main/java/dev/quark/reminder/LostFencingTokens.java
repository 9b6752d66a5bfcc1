package dev.quark.reminder;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;
import java.util.stream.Collectors;

import dev.quark.lease.FencingToken;
import dev.quark.lease.Lease;
import dev.quark.lease.LeaseStore;
import org.jspecify.annotations.Nullable;
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
 * <p>
 * The raise is for the store's counter: one call per claim round, with the highest stamp found and that bucket's
 * resource, lifts a store that draws all resources' tokens from one counter (Quark's {@code LeaseStore}s) above every
 * stamp at once. A store with tokens per resource raises that bucket's only; every further claim round then raises
 * the highest stamp still refused, so its buckets come back one per round.
 * <p>
 * Each incident (a bucket and the stamp that refused it) is logged once, at {@code ERROR} (a failed raise at
 * {@code WARN}); while it lasts (the store cannot raise, the raise keeps failing) the claim rounds that find it again
 * log at {@code DEBUG}. Its buckets are counted once too, in the {@link ReminderMetrics} and in the {@link Losses}
 * kept here, which the tick manager's {@link ReminderTickManager.Stats} show.
 */
final class LostFencingTokens {

    private static final Logger logger = LoggerFactory.getLogger(LostFencingTokens.class);

    /** The most buckets a log line names one by one. */
    private static final int NAMED = 10;

    private final LeaseStore store;

    private final ReminderTable table;

    private final ReminderMetrics metrics;

    /** Per bucket, the stamp of the last incident logged: a bucket found with it again is logged at DEBUG. */
    private final Map<Integer, FencingToken> reported = new ConcurrentHashMap<>();

    private volatile boolean tableCannotTellReported;

    private final AtomicReference<Losses> losses = new AtomicReference<>(Losses.NONE);

    LostFencingTokens(LeaseStore store, ReminderTable table, ReminderMetrics metrics) {
        this.store = store;
        this.table = table;
        this.metrics = metrics;
    }

    /**
     * Looks at the leases whose stamp the table refused and, for those still valid whose bucket holds a greater stamp,
     * raises the store's tokens above it. Never throws: what cannot be done is logged, and the next claim tries again.
     * @param refused the leases whose stamp was refused
     * @param now the instant, on the clock that computed the leases' validity
     */
    void recover(List<Lease> refused, Instant now) {
        List<Lease> valid = refused.stream().filter((lease) -> lease.isValidAt(now)).toList();
        if (valid.size() < refused.size()) {
            logger.warn("Reminder buckets of {} leases hold newer fencing tokens than granted; releasing them",
                    refused.stream().filter((lease) -> !lease.isValidAt(now)).toList());
        }
        if (valid.isEmpty()) {
            return;
        }
        List<Lost> lost;
        try {
            Map<Integer, FencingToken> stamps = this.table.stamps(ReminderBucketSet.of(buckets(valid)));
            lost = new ArrayList<>();
            List<Lease> notNewer = new ArrayList<>();
            for (Lease lease : valid) {
                int bucket = BucketLeases.bucketOf(lease.resource());
                FencingToken stamp = stamps.get(bucket);
                if (stamp != null && stamp.isNewerThan(lease.token())) {
                    lost.add(new Lost(bucket, lease, stamp));
                }
                else {
                    notNewer.add(lease);
                }
            }
            if (!notNewer.isEmpty()) {
                logger.warn("The table refused the stamps of valid leases {} but reads back no newer stamp for their "
                        + "reminder buckets (removed or rewritten meanwhile?); releasing them", notNewer);
            }
        }
        catch (UnsupportedOperationException ex) {
            BiConsumer<String, Object[]> log = this.tableCannotTellReported ? logger::debug : logger::error;
            this.tableCannotTellReported = true;
            log.accept("The stamps of reminder buckets {} refused their valid leases' tokens, and the table cannot "
                    + "tell whether the lease store lost its tokens: {}", new Object[] { buckets(valid), ex.getMessage() });
            return;
        }
        catch (RuntimeException ex) {
            logger.warn("Could not read the stamps of reminder buckets {} that refused their valid leases' tokens; "
                    + "trying again at the next claim: {}", buckets(valid), ex.toString());
            return;
        }
        if (lost.isEmpty()) {
            return;
        }
        lost.sort(Comparator.comparing(Lost::stamp).reversed());
        int fresh = 0;
        for (Lost bucket : lost) {
            fresh += bucket.stamp().equals(this.reported.put(bucket.bucket(), bucket.stamp())) ? 0 : 1;
        }
        if (fresh > 0) {
            int buckets = fresh;
            this.losses.updateAndGet((before) -> before.plus(buckets, now));
            count(fresh);
        }
        BiConsumer<String, Object[]> error = (fresh > 0) ? logger::error : logger::debug;
        BiConsumer<String, Object[]> warn = (fresh > 0) ? logger::warn : logger::debug;
        error.accept("The lease store {} granted valid leases on {} reminder buckets with fencing tokens below the "
                + "stamps the table holds for them, so every write of their reminders would be refused: the store "
                + "lost its tokens (Redis restarted without persistence?). Raising its tokens above the stamps and "
                + "claiming the buckets again: {}", new Object[] { this.store, lost.size(), describe(lost) });
        Lost highest = lost.get(0);
        try {
            this.store.raiseTokensAbove(highest.lease().resource(), highest.stamp());
        }
        catch (UnsupportedOperationException ex) {
            error.accept("Cannot raise the lease store's tokens, so reminder buckets {} fire again only once the "
                    + "store's tokens exceed their stamps: {}",
                    new Object[] { buckets(lost.stream().map(Lost::lease).toList()), ex.getMessage() });
        }
        catch (RuntimeException ex) {
            warn.accept("Could not raise the lease store's tokens above the stamps of reminder buckets {}; trying "
                    + "again at the next claim: {}",
                    new Object[] { buckets(lost.stream().map(Lost::lease).toList()), ex.toString() });
        }
    }

    /**
     * Returns the buckets found so far with lost tokens, each counted once per incident, as in
     * {@link ReminderMetrics#fencingTokensLost}.
     * @return the buckets and when the last incident was found
     */
    Losses losses() {
        return this.losses.get();
    }

    /** What the user's metrics throw is logged, and changes nothing about the recovery. */
    private void count(int buckets) {
        try {
            this.metrics.fencingTokensLost(buckets);
        }
        catch (RuntimeException ex) {
            logger.warn("Reminder metrics failed: {}", ex.toString());
        }
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

    /**
     * The buckets found with lost tokens since start, and when the last of them was found.
     * @param buckets how many, each counted once per incident
     * @param last the {@code now} of the claim round that found the last incident, {@code null} before the first
     */
    record Losses(long buckets, @Nullable Instant last) {

        static final Losses NONE = new Losses(0, null);

        Losses plus(int more, Instant at) {
            return new Losses(this.buckets + more, at);
        }
    }

    /** A bucket whose valid lease's token is below its stamp. */
    private record Lost(int bucket, Lease lease, FencingToken stamp) {
    }
}
