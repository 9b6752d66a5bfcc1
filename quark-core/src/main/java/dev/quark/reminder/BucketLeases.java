package dev.quark.reminder;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

import dev.quark.lease.FencingToken;
import dev.quark.lease.Lease;
import dev.quark.lease.LeaseKeeper;
import dev.quark.lease.LeaseStore;
import dev.quark.lease.internal.LostFencingTokens;
import org.jspecify.annotations.Nullable;
import org.slf4j.event.Level;

/**
 * The leases through which a silo holds its reminder buckets: one lease per bucket, resource
 * {@code reminders:<bucket>}, kept alive by a {@link LeaseKeeper}. Every operation covers many buckets in one
 * step on the backend: acquiring the buckets a silo gained is one {@link LeaseStore#tryAcquireAny} and one
 * {@link ReminderTable#stamp}, releasing those it lost one {@link LeaseStore#releaseAll}, and the keeper renews
 * them all in one {@link LeaseStore#renewAll} per round. Firing a tick costs no round trip for the lease: the
 * tick manager checks the lease's validity locally and the table checks its token in the write of the next tick.
 * Thread-safe.
 */
final class BucketLeases implements AutoCloseable {

    private static final String RESOURCE_PREFIX = "reminders:";

    /**
     * How many lease durations after this silo raised the lease store's tokens above a stamp a greater stamp found on
     * a valid lease is taken for a second live lease store on the table (two clusters, or {@code quark.leases.backend}
     * switched silo by silo) rather than a second loss, and not raised above: raising would have the silos on each
     * store take the buckets from each other, one raise after the other. As the event subscriptions do.
     */
    static final int RAISES_APART = 10;

    private static final String[] RESOURCES = new String[ReminderBuckets.COUNT];

    private static final LostFencingTokens.Subject BUCKETS = new LostFencingTokens.Subject("bucket", "reminder buckets",
            (resource) -> String.valueOf(bucketOf(resource)));

    static {
        for (int bucket = 0; bucket < ReminderBuckets.COUNT; bucket++) {
            RESOURCES[bucket] = RESOURCE_PREFIX + bucket;
        }
    }

    private final LeaseKeeper keeper;

    private final ReminderTable table;

    private final Duration duration;

    private final LostFencingTokens lostTokens;

    private final Clock clock;

    /** The last raise of the store's tokens this silo made: above which stamp, and when. */
    private volatile @Nullable Raise lastRaise;

    /** When this silo last held a raise back, {@code null} before the first. */
    private final AtomicReference<@Nullable Instant> lastHeldBack = new AtomicReference<>();

    /**
     * Creates the leases of a silo.
     * @param keeper the keeper, on {@code store}
     * @param store the store the keeper acquires from, whose tokens are raised when it lost them
     * @param table the table whose buckets are stamped
     * @param clock the keeper's clock
     * @param metrics where buckets whose store lost its tokens are counted
     */
    BucketLeases(LeaseKeeper keeper, LeaseStore store, ReminderTable table, Clock clock, ReminderMetrics metrics) {
        this.keeper = keeper;
        this.table = table;
        this.duration = keeper.duration();
        this.clock = clock;
        this.lostTokens = new LostFencingTokens(store, (leases) -> stamps(table), BUCKETS, Level.ERROR,
                (buckets) -> metrics.fencingTokensLost(buckets), clock);
    }

    /**
     * Reads the table's stamps of every bucket, by lease resource, not only the refused leases': the store's tokens
     * are then raised above the greatest stamp in the table, so that every bucket stamped before the store lost its
     * tokens is claimed again after one raise, and a greater stamp found later was written since
     * ({@link #RAISES_APART}). One read per claim round that finds a refusal.
     */
    private static Map<String, FencingToken> stamps(ReminderTable table) {
        Map<String, FencingToken> stamps = new LinkedHashMap<>();
        table.stamps(ReminderBucketSet.all()).forEach((bucket, stamp) -> stamps.put(RESOURCES[bucket], stamp));
        return stamps;
    }

    /**
     * Returns the lease resource of a bucket.
     * @param bucket the bucket
     * @return {@code reminders:<bucket>}
     */
    static String resource(int bucket) {
        return RESOURCES[ReminderBuckets.check(bucket)];
    }

    /**
     * Returns the bucket of a lease resource.
     * @param resource the resource
     * @return the bucket, or -1 when the resource is not a bucket's
     */
    static int bucketOf(String resource) {
        if (!resource.startsWith(RESOURCE_PREFIX)) {
            return -1;
        }
        try {
            int bucket = Integer.parseInt(resource.substring(RESOURCE_PREFIX.length()));
            return (bucket >= 0 && bucket < ReminderBuckets.COUNT) ? bucket : -1;
        }
        catch (NumberFormatException ex) {
            return -1;
        }
    }

    /**
     * Returns how long a lease lasts unless renewed.
     */
    Duration duration() {
        return this.duration;
    }

    /**
     * Acquires the buckets that are free among some, then stamps them in the table with their tokens; a bucket
     * whose stamp is refused (a newer owner stamped it, or the store lost its tokens: {@link LostFencingTokens}) is
     * released.
     * @param wanted the buckets to acquire
     * @return the buckets acquired and stamped
     */
    ReminderBucketSet acquire(ReminderBucketSet wanted) {
        if (wanted.isEmpty()) {
            return ReminderBucketSet.none();
        }
        List<String> resources = new ArrayList<>(wanted.size());
        wanted.stream().forEach((bucket) -> resources.add(RESOURCES[bucket]));
        List<Lease> acquired = this.keeper.acquire(resources, resources.size());
        if (acquired.isEmpty()) {
            return ReminderBucketSet.none();
        }
        Map<Integer, FencingToken> tokens = new LinkedHashMap<>();
        for (Lease lease : acquired) {
            tokens.put(bucketOf(lease.resource()), lease.token());
        }
        ReminderBucketSet stamped;
        try {
            stamped = this.table.stamp(tokens);
        }
        catch (RuntimeException ex) {
            this.keeper.releaseAll(acquired);
            throw ex;
        }
        List<Lease> refused = acquired.stream().filter((lease) -> !stamped.contains(bucketOf(lease.resource()))).toList();
        if (!refused.isEmpty()) {
            Instant now = this.clock.instant();
            LostFencingTokens.Recovery recovery = this.lostTokens.recover(refused, (highest) -> holdBack(highest, now));
            FencingToken stamp = recovery.stamp();
            if (recovery.outcome() == LostFencingTokens.Outcome.RAISED && stamp != null) {
                this.lastRaise = new Raise(stamp, now);
            }
            else if (recovery.outcome() == LostFencingTokens.Outcome.HELD_BACK) {
                this.lastHeldBack.set(now);
            }
            this.keeper.releaseAll(refused);
        }
        return stamped;
    }

    /**
     * Why the store's tokens are not raised above a stamp found on a valid lease: this silo raised them above a lower
     * stamp less than {@link #RAISES_APART} lease durations ago, so another store's leases stamped the buckets since
     * (a store that lost its tokens once, raised above the highest stamp, is not found below a greater one). A stamp
     * not above the last raise's (a store with tokens per resource, raised for one bucket per round) is raised.
     * Not sticky: once the window has passed the next incident raises again, so a table left to one store again
     * (the other deployment stopped) is claimed again within about a window.
     */
    private @Nullable String holdBack(FencingToken highest, Instant now) {
        Raise raise = this.lastRaise;
        Duration window = this.duration.multipliedBy(RAISES_APART);
        if (raise == null || !highest.isNewerThan(raise.above()) || !now.isBefore(raise.at().plus(window))) {
            return null;
        }
        return "they were raised above the stamp " + raise.above() + " at " + raise.at() + ", less than " + RAISES_APART
                + " lease durations (" + window + ") ago, and the buckets hold a greater stamp again: two lease stores "
                + "on one reminder table? (two deployments sharing the table, or quark.leases.backend switched silo by "
                + "silo); not raising them again before " + raise.at().plus(window) + ", which would have the silos on "
                + "each store take the buckets from each other: put every silo on one lease store";
    }

    /**
     * Returns when this silo last found tokens lost and did not raise them ({@link #RAISES_APART}).
     * @return the instant of that claim round, {@code null} when it never held a raise back
     */
    @Nullable Instant lastRaiseHeldBack() {
        return this.lastHeldBack.get();
    }

    /**
     * Returns the buckets found with a valid lease whose token was below their stamp: the store lost its tokens.
     * @return the buckets counted since these leases were created, and when the last incident was found
     */
    LostFencingTokens.Losses lostTokens() {
        return this.lostTokens.losses();
    }

    /**
     * Releases the leases held on some buckets.
     * @param buckets the buckets
     */
    void release(ReminderBucketSet buckets) {
        List<Lease> leases = new ArrayList<>(buckets.size());
        buckets.stream().forEach((bucket) -> this.keeper.lease(RESOURCES[bucket]).ifPresent(leases::add));
        this.keeper.releaseAll(leases);
    }

    /**
     * Returns the token of the lease held on a bucket, if it is still valid.
     * @param bucket the bucket
     * @param now the instant, on the keeper's clock
     * @return the token, {@code null} when no lease is held or it is no longer valid at {@code now}
     */
    @Nullable FencingToken validToken(int bucket, Instant now) {
        Optional<Lease> lease = this.keeper.lease(RESOURCES[bucket]);
        return (lease.isPresent() && lease.get().isValidAt(now)) ? lease.get().token() : null;
    }

    /**
     * Returns the buckets whose lease is held.
     * @return the buckets, valid or not
     */
    ReminderBucketSet held() {
        List<Integer> buckets = new ArrayList<>();
        for (Lease lease : this.keeper.leases()) {
            int bucket = bucketOf(lease.resource());
            if (bucket >= 0) {
                buckets.add(bucket);
            }
        }
        return ReminderBucketSet.of(buckets);
    }

    /**
     * Stops renewing without releasing: what a crash does.
     */
    void halt() {
        this.keeper.halt();
    }

    /**
     * Releases every lease and stops renewing.
     */
    @Override
    public void close() {
        this.keeper.close();
    }

    static LeaseKeeper.Builder keeper(LeaseStore store, String owner) {
        return LeaseKeeper.builder(Objects.requireNonNull(store, "store must not be null"), owner)
            .batchSize(ReminderBuckets.COUNT);
    }

    /** A raise of the store's tokens: above which stamp, and when. */
    private record Raise(FencingToken above, Instant at) {
    }
}
