package dev.quark.reminder;

import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import ch.qos.logback.classic.Level;
import dev.quark.LogCapture;
import dev.quark.lease.FencingToken;
import dev.quark.lease.Lease;
import dev.quark.lease.LeaseHolder;
import dev.quark.lease.LeaseKeeper;
import dev.quark.lease.LeaseRenewal;
import dev.quark.lease.LeaseStore;
import dev.quark.lease.internal.LostFencingTokens;
import dev.quark.lease.memory.InMemoryLeaseStore;
import dev.quark.reminder.memory.InMemoryReminderTable;
import dev.quark.runtime.ActorAddress;
import dev.quark.runtime.fixtures.SettableClock;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link BucketLeases} and a lease store that lost its tokens: a stamp refused while the lease is still valid can
 * only come from tokens the store issued before it lost them, so the store's tokens are raised above the table's
 * stamp and the bucket is claimed with a token that stamps; a refusal after the lease expired is a newer owner's.
 */
class BucketLeasesTests {

    private static final Duration LEASE = Duration.ofSeconds(10);

    private static final int BUCKET = 17;

    private final SettableClock clock = new SettableClock();

    private final InMemoryLeaseStore store = new InMemoryLeaseStore(this.clock);

    private final InMemoryReminderTable table = new InMemoryReminderTable();

    @AutoClose
    private LogCapture logged;

    private final List<Integer> lostCounted = new CopyOnWriteArrayList<>();

    private final ReminderMetrics metrics = new ReminderMetrics() {

        @Override
        public void ticks(String actorType, ReminderOutcome outcome, long count) {
        }

        @Override
        public void lateness(String actorType, Duration lateness) {
        }

        @Override
        public void fencingTokensLost(int buckets) {
            BucketLeasesTests.this.lostCounted.add(buckets);
        }
    };

    @BeforeEach
    void captureLogs() {
        this.logged = LogCapture.of(LostFencingTokens.class);
    }

    @Test
    void aStampRefusedWhileTheLeaseIsValidRaisesTheStoresTokensAboveTheStampAndTheNextClaimStamps() {
        this.table.stamp(Map.of(BUCKET, new FencingToken(5_000)));
        try (BucketLeases leases = leasesOn(this.store)) {
            assertThat(leases.acquire(ReminderBucketSet.of(BUCKET))).as("refused: the store's token 1 < 5000")
                .isEqualTo(ReminderBucketSet.none());
            assertThat(leases.held()).as("released, for the next claim").isEqualTo(ReminderBucketSet.none());
            assertThat(this.store.holder(BucketLeases.resource(BUCKET))).isEmpty();
            assertThat(logged(Level.ERROR)).singleElement().asString()
                .contains("lost its tokens", "bucket 17 (token 1, stamp 5000)");
            assertThat(this.lostCounted).as("buckets counted as lost").containsExactly(1);

            assertThat(leases.acquire(ReminderBucketSet.of(BUCKET))).isEqualTo(ReminderBucketSet.of(BUCKET));
            assertThat(leases.validToken(BUCKET, this.clock.instant())).isGreaterThan(new FencingToken(5_000));
            assertThat(this.table.stamps(ReminderBucketSet.of(BUCKET)).get(BUCKET)).isGreaterThan(new FencingToken(5_000));
        }
    }

    @Test
    void aStampRefusedAfterTheLeaseExpiredIsANewerOwnersAndRaisesNothing() {
        ReminderTable slowStamp = new Forwarding(this.table) {

            @Override
            public ReminderBucketSet stamp(Map<Integer, FencingToken> tokens) {
                BucketLeasesTests.this.clock.advance(LEASE.plusSeconds(1));
                super.stamp(Map.of(BUCKET, new FencingToken(5_000)));
                return super.stamp(tokens);
            }
        };
        try (BucketLeases leases = new BucketLeases(keeper(this.store), this.store, slowStamp, this.clock, this.metrics)) {
            assertThat(leases.acquire(ReminderBucketSet.of(BUCKET))).isEqualTo(ReminderBucketSet.none());
        }
        assertThat(logged(Level.ERROR)).isEmpty();
        assertThat(logged(Level.WARN)).singleElement().asString().contains("newer fencing tokens than granted");
        assertThat(this.lostCounted).as("a newer owner's stamp is no lost token").isEmpty();
        assertThat(this.store.tryAcquire("other", "silo-2", LEASE).orElseThrow().token())
            .as("not raised").isEqualTo(new FencingToken(2));
    }

    @Test
    void aStoreThatCannotRaiseItsTokensIsLoggedAtErrorAndTheBucketReleased() {
        this.table.stamp(Map.of(BUCKET, new FencingToken(5_000)));
        LeaseStore cannotRaise = new WithoutRaise(this.store);
        try (BucketLeases leases = leasesOn(cannotRaise)) {
            assertThat(leases.acquire(ReminderBucketSet.of(BUCKET))).isEqualTo(ReminderBucketSet.none());
            assertThat(leases.held()).isEqualTo(ReminderBucketSet.none());
            assertThat(logged(Level.ERROR)).hasSize(2)
                .last()
                .asString()
                .contains("Cannot raise the lease store's tokens", "[17]", "WithoutRaise cannot raise its fencing tokens above 5000");

            assertThat(leases.acquire(ReminderBucketSet.of(BUCKET))).as("the next claim round, the same incident")
                .isEqualTo(ReminderBucketSet.none());
        }
        assertThat(logged(Level.ERROR)).as("logged once per incident, repeats at DEBUG").hasSize(2);
        assertThat(this.lostCounted).as("counted once per incident").containsExactly(1);
    }

    @Test
    void eachIncidentIsTalliedOnceWithTheInstantOfTheClaimThatFoundIt() {
        this.table.stamp(Map.of(BUCKET, new FencingToken(5_000)));
        try (BucketLeases leases = leasesOn(new WithoutRaise(this.store))) {
            assertThat(leases.lostTokens()).as("none before").isEqualTo(new LostFencingTokens.Losses(0, null));
            Instant first = this.clock.instant();
            leases.acquire(ReminderBucketSet.of(BUCKET));
            this.clock.advance(Duration.ofSeconds(3));
            leases.acquire(ReminderBucketSet.of(BUCKET));
            assertThat(leases.lostTokens()).as("the same incident found again").isEqualTo(new LostFencingTokens.Losses(1, first));

            this.clock.advance(Duration.ofSeconds(3));
            this.table.stamp(Map.of(BUCKET, new FencingToken(6_000), BUCKET + 1, new FencingToken(6_000)));
            Instant second = this.clock.instant();
            leases.acquire(ReminderBucketSet.of(BUCKET, BUCKET + 1));
            assertThat(leases.lostTokens()).as("a greater stamp: a new incident, for both buckets")
                .isEqualTo(new LostFencingTokens.Losses(3, second));
        }
        assertThat(this.lostCounted).as("as the metrics count them").containsExactly(1, 2);
    }

    @Test
    void aTableThatCannotReadItsStampsIsLoggedAtErrorAndTheBucketReleased() {
        ReminderTable noStamps = new Forwarding(this.table) {

            @Override
            public Map<Integer, FencingToken> stamps(ReminderBucketSet buckets) {
                throw new UnsupportedOperationException("no stamps here");
            }
        };
        noStamps.stamp(Map.of(BUCKET, new FencingToken(5_000)));
        try (BucketLeases leases = new BucketLeases(keeper(this.store), this.store, noStamps, this.clock, this.metrics)) {
            assertThat(leases.acquire(ReminderBucketSet.of(BUCKET))).isEqualTo(ReminderBucketSet.none());
            assertThat(leases.held()).isEqualTo(ReminderBucketSet.none());
        }
        assertThat(logged(Level.ERROR)).singleElement().asString().contains("[17]", "no stamps here");
        assertThat(this.lostCounted).as("not known to be lost").isEmpty();
    }

    /**
     * Many buckets refused at once: the store is asked whether it still holds their leases from the highest stamp
     * down only until one is current (only the highest is raised), and a bucket already reported with its stamp is not
     * asked about again: one round trip in the first claim round, none in the next ones of the same incident.
     */
    @Test
    void theStoreIsAskedAboutTheHighestStampOnlyAndNotAgainForAnIncidentAlreadyReported() {
        Map<Integer, FencingToken> stamps = new HashMap<>();
        for (int bucket = 0; bucket < 20; bucket++) {
            stamps.put(bucket, new FencingToken(5_000 + bucket));
        }
        this.table.stamp(stamps);
        WithoutRaise cannotRaise = new WithoutRaise(this.store);
        ReminderBucketSet buckets = ReminderBucketSet.of(stamps.keySet());
        try (BucketLeases leases = leasesOn(cannotRaise)) {
            assertThat(leases.acquire(buckets)).isEqualTo(ReminderBucketSet.none());
            assertThat(cannotRaise.holders()).as("the highest stamp's lease only").hasValue(1);
            assertThat(this.lostCounted).containsExactly(20);
            assertThat(leases.acquire(buckets)).isEqualTo(ReminderBucketSet.none());
            assertThat(cannotRaise.holders()).as("the same incident: not asked again").hasValue(1);
        }
        assertThat(this.lostCounted).containsExactly(20);
    }

    /**
     * A lease store that cannot be reached when asked whether it still holds a refused lease: its own WARN, once per
     * outage, nothing raised or counted, and not taken for an unreadable stamp.
     */
    @Test
    void aStoreThatCannotBeAskedWhetherItHoldsTheLeaseIsLoggedOnceAsSuchAndNothingIsRaised() {
        this.table.stamp(Map.of(BUCKET, new FencingToken(5_000)));
        WithoutRaise unreachable = new WithoutRaise(this.store);
        unreachable.holderFails().set(true);
        try (BucketLeases leases = leasesOn(unreachable)) {
            assertThat(leases.acquire(ReminderBucketSet.of(BUCKET))).isEqualTo(ReminderBucketSet.none());
            assertThat(leases.acquire(ReminderBucketSet.of(BUCKET))).isEqualTo(ReminderBucketSet.none());
        }
        assertThat(logged(Level.WARN)).singleElement()
            .asString()
            .contains("Could not ask the lease store", "[17]", "lease store unreachable")
            .doesNotContain("Could not read the stamps");
        assertThat(logged(Level.ERROR)).isEmpty();
        assertThat(this.lostCounted).isEmpty();
    }

    /**
     * The store's tokens are raised above the greatest stamp in the table, not only above the refused buckets': a bucket
     * stamped before the loss that the silo claims later (after a view change, say) stamps without a second incident.
     */
    @Test
    void oneRaiseCoversEveryBucketStampedBeforeTheLoss() {
        this.table.stamp(Map.of(BUCKET, new FencingToken(5_000), BUCKET + 1, new FencingToken(7_000)));
        try (BucketLeases leases = leasesOn(this.store)) {
            assertThat(leases.acquire(ReminderBucketSet.of(BUCKET))).isEqualTo(ReminderBucketSet.none());
            assertThat(logged(Level.ERROR)).singleElement().asString().contains("bucket 17 (token 1, stamp 5000)");

            assertThat(leases.acquire(ReminderBucketSet.of(BUCKET, BUCKET + 1)))
                .as("both stamp: the store was raised above 7000, bucket 18's stamp, too")
                .isEqualTo(ReminderBucketSet.of(BUCKET, BUCKET + 1));
            assertThat(leases.validToken(BUCKET + 1, this.clock.instant())).isGreaterThan(new FencingToken(7_000));
        }
        assertThat(logged(Level.ERROR)).as("one incident").hasSize(1);
        assertThat(this.lostCounted).containsExactly(1);
    }

    /**
     * Two live lease stores on one reminder table: after this silo raised its store above the table's stamps and
     * stamped, the other store's leases stamp the bucket higher again. Within ten lease durations of the raise the
     * silo does not raise again (which would have the two sides take the buckets from each other without end): it
     * logs the likely cause at ERROR, releases the bucket and tells when; after the window it raises once more.
     */
    @Test
    void aStampAboveTheLastRaiseWithinTenLeaseDurationsIsAnotherStoresAndIsNotRaisedAboveAgain() {
        this.table.stamp(Map.of(BUCKET, new FencingToken(5_000)));
        try (BucketLeases leases = leasesOn(this.store)) {
            leases.acquire(ReminderBucketSet.of(BUCKET));
            assertThat(leases.acquire(ReminderBucketSet.of(BUCKET))).as("raised, stamped")
                .isEqualTo(ReminderBucketSet.of(BUCKET));
            leases.release(ReminderBucketSet.of(BUCKET));

            this.clock.advance(LEASE.multipliedBy(5));
            this.table.stamp(Map.of(BUCKET, new FencingToken(9_000)));
            Instant heldBackAt = this.clock.instant();
            assertThat(leases.acquire(ReminderBucketSet.of(BUCKET))).as("refused, not raised")
                .isEqualTo(ReminderBucketSet.none());
            assertThat(leases.held()).isEqualTo(ReminderBucketSet.none());
            assertThat(leases.lastRaiseHeldBack()).isEqualTo(heldBackAt);
            assertThat(logged(Level.ERROR)).hasSize(2)
                .last()
                .asString()
                .contains("not raising its tokens", "two lease stores on one reminder table?", "stamp 9000");
            assertThat(this.store.tryAcquire("other", "silo-2", LEASE).orElseThrow().token())
                .as("the store was not raised above 9000")
                .isLessThan(new FencingToken(9_000));

            this.clock.advance(LEASE.multipliedBy(5));
            leases.acquire(ReminderBucketSet.of(BUCKET));
            assertThat(leases.acquire(ReminderBucketSet.of(BUCKET))).as("the window passed: raised again")
                .isEqualTo(ReminderBucketSet.of(BUCKET));
            assertThat(leases.validToken(BUCKET, this.clock.instant())).isGreaterThan(new FencingToken(9_000));
            assertThat(leases.lastRaiseHeldBack()).as("still the last one held back").isEqualTo(heldBackAt);
        }
        assertThat(this.lostCounted).as("each incident counted, the held-back one too").containsExactly(1, 1);
    }

    private BucketLeases leasesOn(LeaseStore leaseStore) {
        return new BucketLeases(keeper(leaseStore), leaseStore, this.table, this.clock, this.metrics);
    }

    private LeaseKeeper keeper(LeaseStore leaseStore) {
        return BucketLeases.keeper(leaseStore, "silo-1")
            .duration(LEASE)
            .clock(this.clock)
            .scheduler((at, task) -> () -> true)
            .build();
    }

    private List<String> logged(Level level) {
        return this.logged.messages(level);
    }

    /**
     * A store that leaves {@link LeaseStore#raiseTokensAbove} to the interface's default, as a user's store may, and
     * {@link LeaseStore#check} too, which asks {@link #holder}: counted in {@code holders}, failing while
     * {@code holderFails} is set.
     */
    private record WithoutRaise(LeaseStore delegate, AtomicInteger holders, AtomicBoolean holderFails)
            implements LeaseStore {

        WithoutRaise(LeaseStore delegate) {
            this(delegate, new AtomicInteger(), new AtomicBoolean());
        }

        @Override
        public Optional<Lease> tryAcquire(String resource, String owner, Duration duration) {
            return this.delegate.tryAcquire(resource, owner, duration);
        }

        @Override
        public List<Lease> tryAcquireAny(Collection<String> resources, int max, String owner, Duration duration) {
            return this.delegate.tryAcquireAny(resources, max, owner, duration);
        }

        @Override
        public Optional<Lease> renew(Lease lease, Duration duration) {
            return this.delegate.renew(lease, duration);
        }

        @Override
        public LeaseRenewal renewAll(Collection<Lease> leases, Duration duration) {
            return this.delegate.renewAll(leases, duration);
        }

        @Override
        public boolean release(Lease lease) {
            return this.delegate.release(lease);
        }

        @Override
        public List<Lease> releaseAll(Collection<Lease> leases) {
            return this.delegate.releaseAll(leases);
        }

        @Override
        public Optional<LeaseHolder> holder(String resource) {
            this.holders.incrementAndGet();
            if (this.holderFails.get()) {
                throw new IllegalStateException("lease store unreachable");
            }
            return this.delegate.holder(resource);
        }
    }

    /** A table that passes every call to another, for a test to override one. */
    private static class Forwarding implements ReminderTable {

        private final ReminderTable delegate;

        Forwarding(ReminderTable delegate) {
            this.delegate = delegate;
        }

        @Override
        public void save(ReminderEntry entry) {
            this.delegate.save(entry);
        }

        @Override
        public Optional<ReminderEntry> find(ReminderKey key) {
            return this.delegate.find(key);
        }

        @Override
        public List<ReminderEntry> list(ActorAddress actor) {
            return this.delegate.list(actor);
        }

        @Override
        public boolean delete(ReminderKey key) {
            return this.delegate.delete(key);
        }

        @Override
        public DueReminders due(ReminderBucketSet buckets, Instant before, int limit) {
            return this.delegate.due(buckets, before, limit);
        }

        @Override
        public ReminderBucketSet stamp(Map<Integer, FencingToken> tokens) {
            return this.delegate.stamp(tokens);
        }

        @Override
        public Map<Integer, FencingToken> stamps(ReminderBucketSet buckets) {
            return this.delegate.stamps(buckets);
        }

        @Override
        public int apply(List<ReminderUpdate> updates) {
            return this.delegate.apply(updates);
        }

        @Override
        public long countDue(ReminderBucketSet buckets, Instant before) {
            return this.delegate.countDue(buckets, before);
        }
    }
}
