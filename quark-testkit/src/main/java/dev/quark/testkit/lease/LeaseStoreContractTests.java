package dev.quark.testkit.lease;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import dev.quark.lease.FencingToken;
import dev.quark.lease.Lease;
import dev.quark.lease.LeaseHolder;
import dev.quark.lease.LeaseLostException;
import dev.quark.lease.LeaseRenewal;
import dev.quark.lease.LeaseStore;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatNoException;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The behaviour every {@link LeaseStore} must have, so that the in-memory, Redis and PostgreSQL stores (and yours)
 * are interchangeable: one holder per resource under concurrency, takeover after expiry with a greater token,
 * stale tokens refused for renewals, checks, releases and guarded writes, batches that never grant a resource
 * twice, and tokens that survive a new store on the same backend.
 * <p>
 * Subclass it and return the store under test, the clock it was given, and the guarded-write pattern of its
 * backend; every test uses resources of its own, so one store may serve all tests of the class:
 * <pre>{@code
 * class MyLeaseStoreTests extends LeaseStoreContractTests {
 *     private final LeaseStore store = new MyLeaseStore(..., Clock.systemUTC());
 *
 *     protected LeaseStore store() { return this.store; }
 *     protected Clock clock() { return Clock.systemUTC(); }
 *     protected FencedRecords fencedRecords() { return new MyFencedRecords(...); }
 * }
 * }</pre>
 * A store whose clock decides expiry (the in-memory one with a manual clock) overrides {@link #awaitExpiry} to move
 * it; a store on a server waits, bounded, for the server to expire the lease.
 */
public abstract class LeaseStoreContractTests {

    /** The owner most tests acquire as. */
    protected static final String OWNER = "node-a";

    /** The owner that competes with {@link #OWNER}. */
    protected static final String OTHER = "node-b";

    /** How long the leases last that tests do not let expire. */
    protected static final Duration LONG = Duration.ofMinutes(5);

    private static final AtomicLong ids = new AtomicLong();

    private final String run = Long.toHexString(System.nanoTime());

    /**
     * Returns the store under test.
     * @return the store
     */
    protected abstract LeaseStore store();

    /**
     * Returns the clock the store was given, which computes {@link Lease#validUntil()}.
     * @return the clock
     */
    protected abstract Clock clock();

    /**
     * Returns records of an area's own, guarded by this backend's fencing pattern.
     * @return the records
     */
    protected abstract FencedRecords fencedRecords();

    /**
     * Returns how long the leases last that tests let expire: long enough for a round trip to the backend, short
     * enough to wait for.
     * @return the duration; 300ms unless overridden
     */
    protected Duration shortDuration() {
        return Duration.ofMillis(300);
    }

    /**
     * Waits until the store no longer holds a lease: by default, polls the store (bounded) until it says the
     * resource is free or held with another token. A store whose clock is a test's manual clock moves it instead.
     * @param lease the lease, acquired for {@link #shortDuration()}
     */
    protected void awaitExpiry(Lease lease) {
        await("expiry of " + lease).atMost(Duration.ofSeconds(10).plus(shortDuration()))
            .pollInterval(Duration.ofMillis(10))
            .until(() -> store().holder(lease.resource()).map(LeaseHolder::token).filter(lease.token()::equals).isEmpty());
    }

    /**
     * Returns a new store on the same backend as {@link #store()} (same server, same keys or tables), as after a
     * restart of the application.
     * @return the new store, or {@code null} when the backend does not outlive its store (in memory)
     */
    protected @Nullable LeaseStore newStoreOnTheSameBackend() {
        return null;
    }

    /**
     * Returns whether the store draws the tokens of all resources from one counter, as the stores of
     * {@code dev.quark.lease} do, so that no two leases it grants, of any resources, share a token. A store that keeps
     * each resource's token with the resource's own record (the job stores' leases in the job rows or hashes: the
     * record's previous token plus one) returns {@code false}: its tokens grow per resource only, which is all fencing
     * needs, and the tests then do not compare tokens across resources.
     * @return {@code true} unless overridden
     */
    protected boolean tokensSharedByAllResources() {
        return true;
    }

    /**
     * Returns a resource name no other test uses. A store that grants leases only on resources naming records of its
     * own (a job store's leases kept in its jobs) overrides it to create such a record and return its resource.
     * @param name a name for messages
     * @return the resource
     */
    protected String newResource(String name) {
        return "contract:" + this.run + ":" + ids.incrementAndGet() + ":" + name;
    }

    private Lease acquire(String resource, String owner, Duration duration) {
        Optional<Lease> lease = store().tryAcquire(resource, owner, duration);
        assertThat(lease).as("lease on %s for %s", resource, owner).isPresent();
        return lease.orElseThrow();
    }

    @Test
    public void aFreeResourceIsGrantedWithAPositiveTokenUntilTheDurationFromTheRequest() {
        String resource = newResource("job");
        Instant before = clock().instant();
        Lease lease = acquire(resource, OWNER, LONG);
        Instant after = clock().instant();
        assertThat(lease.resource()).isEqualTo(resource);
        assertThat(lease.owner()).isEqualTo(OWNER);
        assertThat(lease.token().value()).isPositive();
        assertThat(lease.validUntil()).isBetween(before.plus(LONG), after.plus(LONG));
        LeaseHolder holder = store().holder(resource).orElseThrow();
        assertThat(holder.resource()).isEqualTo(resource);
        assertThat(holder.owner()).isEqualTo(OWNER);
        assertThat(holder.token()).isEqualTo(lease.token());
        assertThat(holder.remaining()).isPositive().isLessThanOrEqualTo(LONG);
    }

    @Test
    public void aResourceThatWasNeverLeasedHasNoHolder() {
        assertThat(store().holder(newResource("never"))).isEmpty();
    }

    @Test
    public void aHeldResourceIsNotGrantedAgainToAnyone() {
        String resource = newResource("job");
        Lease lease = acquire(resource, OWNER, LONG);
        assertThat(store().tryAcquire(resource, OTHER, LONG)).isEmpty();
        assertThat(store().tryAcquire(resource, OWNER, LONG)).as("the holder itself").isEmpty();
        assertThat(store().holder(resource).map(LeaseHolder::token)).contains(lease.token());
    }

    @Test
    @Timeout(120)
    public void ofConcurrentAcquirersOfAFreeResourceExactlyOneWins() throws Exception {
        int acquirers = 8;
        ExecutorService threads = Executors.newFixedThreadPool(acquirers);
        try {
            for (int round = 0; round < 25; round++) {
                String resource = newResource("race");
                CountDownLatch start = new CountDownLatch(1);
                List<Future<Optional<Lease>>> outcomes = new ArrayList<>();
                for (int acquirer = 0; acquirer < acquirers; acquirer++) {
                    String owner = "racer-" + acquirer;
                    outcomes.add(threads.submit(racer(start, () -> store().tryAcquire(resource, owner, LONG))));
                }
                start.countDown();
                List<Lease> winners = new ArrayList<>();
                for (Future<Optional<Lease>> outcome : outcomes) {
                    outcome.get(30, TimeUnit.SECONDS).ifPresent(winners::add);
                }
                assertThat(winners).as("winners of round %d", round).hasSize(1);
                Lease winner = winners.getFirst();
                assertThat(store().holder(resource))
                    .hasValueSatisfying((holder) -> assertThat(holder.owner()).isEqualTo(winner.owner()));
            }
        }
        finally {
            threads.shutdownNow();
        }
    }

    @Test
    public void raisingTheTokensAboveATokenMakesTheResourcesNextLeaseGreaterAndNeverLowersThem() {
        String resource = newResource("restored");
        Lease held = acquire(resource, OWNER, LONG);
        FencingToken stamped = new FencingToken(held.token().value() + 1_000_000);
        try {
            store().raiseTokensAbove(resource, stamped);
        }
        catch (UnsupportedOperationException ex) {
            assumeTrue(false, "the store cannot raise its tokens (allowed by LeaseStore.raiseTokensAbove): " + ex);
        }
        assertThat(store().renew(held, LONG)).as("a lease held before the raise keeps its token").isPresent();
        assertThat(store().release(held)).isTrue();
        Lease raised = acquire(resource, OWNER, LONG);
        assertThat(raised.token()).as("above the raised token").isGreaterThan(stamped);
        store().raiseTokensAbove(resource, held.token());
        assertThat(store().release(raised)).isTrue();
        assertThat(acquire(resource, OTHER, LONG).token()).as("a raise to a lower token lowers nothing")
            .isGreaterThan(raised.token());
        assertThatIllegalArgumentException().isThrownBy(() -> store().raiseTokensAbove(" ", stamped))
            .withMessageContaining("Lease resource ' ' is not allowed");
    }

    @Test
    public void anExpiredLeaseIsTakenOverWithAGreaterToken() {
        String resource = newResource("job");
        Lease first = acquire(resource, OWNER, shortDuration());
        awaitExpiry(first);
        assertThat(store().holder(resource)).isEmpty();
        Lease second = acquire(resource, OTHER, LONG);
        assertThat(second.token().isNewerThan(first.token())).as("%s after %s", second.token(), first.token()).isTrue();
        assertThat(store().holder(resource).map(LeaseHolder::owner)).contains(OTHER);
    }

    @Test
    public void aStaleTokenIsRefusedForRenewalCheckAndRelease() {
        String resource = newResource("job");
        Lease stale = acquire(resource, OWNER, shortDuration());
        awaitExpiry(stale);
        Lease current = acquire(resource, OTHER, LONG);

        assertThat(store().renew(stale, LONG)).isEmpty();
        assertThat(store().renewAll(List.of(stale), LONG).lost()).containsExactly(stale);
        LeaseLostException lost = catchThrowableOfType(LeaseLostException.class,
                () -> store().check(resource, stale.token()));
        assertThat(lost.getResource()).isEqualTo(resource);
        assertThat(lost.getToken()).isEqualTo(stale.token());
        assertThat(lost.getCurrentHolder()).isNotNull();
        assertThat(lost.getCurrentHolder().token()).isEqualTo(current.token());
        assertThat(lost).hasMessageContaining(resource)
            .hasMessageContaining("token " + stale.token())
            .hasMessageContaining(OTHER);
        assertThat(store().release(stale)).isFalse();

        assertThat(store().holder(resource).map(LeaseHolder::token)).as("the new holder keeps its lease")
            .contains(current.token());
        assertThatNoException().isThrownBy(() -> store().check(resource, current.token()));
        assertThat(store().renew(current, LONG)).isPresent();
    }

    @Test
    public void anExpiredLeaseCannotBeRenewedEvenWhenNobodyTookTheResource() {
        String resource = newResource("job");
        Lease lease = acquire(resource, OWNER, shortDuration());
        awaitExpiry(lease);
        assertThat(store().renew(lease, LONG)).isEmpty();
        assertThatExceptionOfType(LeaseLostException.class).isThrownBy(() -> store().check(resource, lease.token()))
            .satisfies((lost) -> assertThat(lost.getCurrentHolder()).isNull())
            .withMessageContaining("nobody holds it");
        assertThat(store().holder(resource)).isEmpty();
    }

    @Test
    public void aRenewalExtendsTheLeaseFromNowAndKeepsItsToken() {
        String resource = newResource("job");
        Lease lease = acquire(resource, OWNER, Duration.ofSeconds(20));
        Instant before = clock().instant();
        Lease renewed = store().renew(lease, LONG).orElseThrow();
        Instant after = clock().instant();
        assertThat(renewed.token()).isEqualTo(lease.token());
        assertThat(renewed.resource()).isEqualTo(resource);
        assertThat(renewed.owner()).isEqualTo(OWNER);
        assertThat(renewed.validUntil()).isBetween(before.plus(LONG), after.plus(LONG));
        assertThat(store().holder(resource).orElseThrow().remaining()).isGreaterThan(Duration.ofSeconds(20));
        assertThat(store().renew(renewed, Duration.ofSeconds(20))).as("a renewal may also shorten").isPresent();
        assertThat(store().holder(resource).orElseThrow().remaining()).isLessThanOrEqualTo(Duration.ofSeconds(20));
    }

    @Test
    public void releaseFreesTheResourceAndTheNextLeaseHasAGreaterToken() {
        String resource = newResource("job");
        Lease first = acquire(resource, OWNER, LONG);
        assertThat(store().release(first)).isTrue();
        assertThat(store().holder(resource)).isEmpty();
        assertThat(store().release(first)).as("releasing twice").isFalse();
        assertThat(store().renew(first, LONG)).as("renewing after release").isEmpty();
        Lease second = acquire(resource, OTHER, LONG);
        assertThat(second.token().isNewerThan(first.token())).as("%s after %s", second.token(), first.token()).isTrue();
    }

    @Test
    public void tokensOfOneResourceOnlyGrow() {
        String resource = newResource("job");
        FencingToken previous = null;
        for (int i = 0; i < 20; i++) {
            String owner = (i % 2 == 0) ? OWNER : OTHER;
            Lease lease = acquire(resource, owner, LONG);
            if (previous != null) {
                assertThat(lease.token().isNewerThan(previous)).as("lease %d: %s after %s", i, lease.token(), previous)
                    .isTrue();
            }
            previous = lease.token();
            assertThat(store().release(lease)).isTrue();
        }
    }

    @Test
    public void aBatchGrantsUpToMaxFreeResourcesInTheOrderAsked() {
        List<String> resources = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            resources.add(newResource("batch-" + i));
        }
        Lease taken = acquire(resources.get(1), OTHER, LONG);
        List<Lease> granted = store().tryAcquireAny(resources, 3, OWNER, LONG);
        assertThat(granted).extracting(Lease::resource)
            .containsExactly(resources.get(0), resources.get(2), resources.get(3));
        assertThat(granted).extracting(Lease::owner).containsOnly(OWNER);
        if (tokensSharedByAllResources()) {
            assertThat(granted).extracting(Lease::token).doesNotHaveDuplicates().doesNotContain(taken.token());
        }
        for (Lease lease : granted) {
            assertThat(store().holder(lease.resource()).map(LeaseHolder::token)).contains(lease.token());
        }
        assertThat(store().holder(resources.get(1)).map(LeaseHolder::owner)).contains(OTHER);
        assertThat(store().holder(resources.get(4))).isEmpty();

        List<Lease> rest = store().tryAcquireAny(resources, 10, OTHER, LONG);
        assertThat(rest).extracting(Lease::resource).containsExactly(resources.get(4), resources.get(5));
        assertThat(store().tryAcquireAny(resources, 10, OWNER, LONG)).as("everything is held").isEmpty();
    }

    @Test
    public void aBatchFindsTheFreeResourcesBehindThousandsOfHeldOnes() {
        List<String> candidates = new ArrayList<>();
        for (int i = 0; i < 3000; i++) {
            candidates.add(newResource("held-" + i));
        }
        for (int from = 0; from < candidates.size(); from += 500) {
            assertThat(store().tryAcquireAny(candidates.subList(from, from + 500), 500, OTHER, LONG)).hasSize(500);
        }
        for (int i = 0; i < 3; i++) {
            candidates.add(newResource("free-" + i));
        }
        List<Lease> granted = store().tryAcquireAny(candidates, 2, OWNER, LONG);
        assertThat(granted).extracting(Lease::resource).containsExactly(candidates.get(3000), candidates.get(3001));
        assertThat(store().holder(candidates.get(3002))).isEmpty();
        assertThat(store().holder(candidates.getFirst()).map(LeaseHolder::owner)).contains(OTHER);
    }

    @Test
    public void aBatchCountsDuplicatesOnceAndZeroOrNoCandidatesGrantNothing() {
        String resource = newResource("dup");
        String other = newResource("other");
        assertThat(store().tryAcquireAny(List.of(resource, other), 0, OWNER, LONG)).isEmpty();
        assertThat(store().tryAcquireAny(List.of(), 5, OWNER, LONG)).isEmpty();
        assertThat(store().holder(resource)).isEmpty();
        List<Lease> granted = store().tryAcquireAny(List.of(resource, resource, other, resource), 5, OWNER, LONG);
        assertThat(granted).extracting(Lease::resource).containsExactly(resource, other);
    }

    @Test
    @Timeout(180)
    public void ofConcurrentBatchesNoResourceIsGrantedTwice() throws Exception {
        int callers = 8;
        int perCaller = 10;
        ExecutorService threads = Executors.newFixedThreadPool(callers);
        try {
            for (int round = 0; round < 5; round++) {
                List<String> resources = new ArrayList<>();
                for (int i = 0; i < 60; i++) {
                    resources.add(newResource("round-" + round + "-" + i));
                }
                CountDownLatch start = new CountDownLatch(1);
                List<Future<List<Lease>>> outcomes = new ArrayList<>();
                for (int caller = 0; caller < callers; caller++) {
                    List<String> candidates = new ArrayList<>(resources);
                    Collections.shuffle(candidates, new Random(round * 100L + caller));
                    String owner = "batch-" + caller;
                    outcomes.add(threads.submit(racer(start,
                            () -> store().tryAcquireAny(candidates, perCaller, owner, LONG))));
                }
                start.countDown();
                List<Lease> granted = new ArrayList<>();
                for (Future<List<Lease>> outcome : outcomes) {
                    List<Lease> leases = outcome.get(60, TimeUnit.SECONDS);
                    assertThat(leases).hasSizeLessThanOrEqualTo(perCaller);
                    granted.addAll(leases);
                }
                assertThat(granted).extracting(Lease::resource).as("round %d", round).doesNotHaveDuplicates();
                if (tokensSharedByAllResources()) {
                    assertThat(granted).extracting(Lease::token).doesNotHaveDuplicates();
                }
                for (Lease lease : granted) {
                    LeaseHolder holder = store().holder(lease.resource()).orElseThrow();
                    assertThat(holder.owner()).isEqualTo(lease.owner());
                    assertThat(holder.token()).isEqualTo(lease.token());
                }
                List<Lease> rest = store().tryAcquireAny(resources, resources.size(), "sweeper", LONG);
                assertThat(granted.size() + rest.size()).as("every resource granted once in round %d", round)
                    .isEqualTo(resources.size());
            }
        }
        finally {
            threads.shutdownNow();
        }
    }

    @Test
    public void renewingManyReportsTheLostOnes() {
        Lease kept = acquire(newResource("kept"), OWNER, Duration.ofSeconds(20));
        Lease taken = acquire(newResource("taken"), OWNER, LONG);
        Lease released = acquire(newResource("released"), OWNER, LONG);
        Lease expired = acquire(newResource("expired"), OWNER, shortDuration());
        assertThat(store().release(taken)).isTrue();
        Lease thief = acquire(taken.resource(), OTHER, LONG);
        assertThat(store().release(released)).isTrue();
        awaitExpiry(expired);
        Lease kept2 = acquire(newResource("kept-2"), OWNER, Duration.ofSeconds(20));

        Instant before = clock().instant();
        LeaseRenewal renewal = store().renewAll(List.of(kept, taken, released, kept, expired, kept2), LONG);
        assertThat(renewal.renewed()).extracting(Lease::resource).containsExactly(kept.resource(), kept2.resource());
        assertThat(renewal.renewed()).extracting(Lease::token).containsExactly(kept.token(), kept2.token());
        assertThat(renewal.renewed()).allSatisfy((lease) -> assertThat(lease.validUntil()).isAfterOrEqualTo(before.plus(LONG)));
        assertThat(renewal.lost()).containsExactly(taken, released, expired);
        assertThat(store().holder(kept.resource()).orElseThrow().remaining()).isGreaterThan(Duration.ofSeconds(20));
        assertThat(store().holder(taken.resource()).map(LeaseHolder::token)).contains(thief.token());
        assertThat(store().holder(released.resource())).isEmpty();
        assertThat(store().renewAll(List.of(), LONG)).isEqualTo(new LeaseRenewal(List.of(), List.of()));
    }

    @Test
    public void releasingManyReportsTheOnesThatWereStillHeld() {
        Lease held = acquire(newResource("held"), OWNER, LONG);
        Lease taken = acquire(newResource("taken"), OWNER, LONG);
        Lease expired = acquire(newResource("expired"), OWNER, shortDuration());
        store().release(taken);
        Lease thief = acquire(taken.resource(), OTHER, LONG);
        awaitExpiry(expired);
        assertThat(store().releaseAll(List.of(held, taken, expired, held))).containsExactly(held);
        assertThat(store().holder(held.resource())).isEmpty();
        assertThat(store().holder(taken.resource()).map(LeaseHolder::token)).contains(thief.token());
        assertThat(store().holder(expired.resource())).isEmpty();
        assertThat(store().releaseAll(List.of())).isEmpty();
    }

    @Test
    public void resourcesAreDistinctWhateverCharactersTheirNamesHave() {
        String base = newResource("names");
        List<String> resources = List.of(base, base + ":x", base + "{x}", base + "*", base + "?", base + " x",
                base + "'; drop table x; --", base + "ünïcödé ✓ 𝄞 日本", base + "\\", base + "x".repeat(1024 - base.length() - 1));
        List<Lease> leases = new ArrayList<>();
        for (String resource : resources) {
            leases.add(acquire(resource, OWNER, LONG));
        }
        for (Lease lease : leases) {
            assertThat(store().holder(lease.resource()).map(LeaseHolder::token)).as(lease.resource()).contains(lease.token());
        }
        assertThat(store().release(leases.getFirst())).isTrue();
        for (Lease lease : leases.subList(1, leases.size())) {
            assertThat(store().holder(lease.resource())).as(lease.resource()).isPresent();
        }
    }

    @Test
    public void badArgumentsAreRefusedNamingThem() {
        String resource = newResource("bad");
        assertThatIllegalArgumentException().isThrownBy(() -> store().tryAcquire(" ", OWNER, LONG))
            .withMessageContaining("resource");
        assertThatIllegalArgumentException().isThrownBy(() -> store().tryAcquire("x".repeat(1025), OWNER, LONG))
            .withMessageContaining("1024");
        assertThatIllegalArgumentException().isThrownBy(() -> store().tryAcquire(resource, "", LONG))
            .withMessageContaining("owner");
        assertThatIllegalArgumentException().isThrownBy(() -> store().tryAcquire(resource, OWNER, Duration.ZERO))
            .withMessageContaining("PT0S");
        assertThatIllegalArgumentException()
            .isThrownBy(() -> store().tryAcquire(resource, OWNER, Duration.ofNanos(999_999)))
            .withMessageContaining("1ms");
        assertThatIllegalArgumentException().isThrownBy(() -> store().tryAcquireAny(List.of(resource), -1, OWNER, LONG))
            .withMessageContaining("-1");
        assertThatIllegalArgumentException().isThrownBy(() -> store().tryAcquireAny(List.of(resource, ""), 1, OWNER, LONG))
            .withMessageContaining("resource ''");
        assertThat(store().holder(resource)).as("nothing acquired by a refused call").isEmpty();
    }

    @Test
    public void tokensSurviveANewStoreOnTheSameBackend() {
        LeaseStore reopened = newStoreOnTheSameBackend();
        assumeTrue(reopened != null, "the backend does not outlive its store");
        String resource = newResource("restart");
        Lease first = acquire(resource, OWNER, LONG);
        assertThat(reopened.holder(resource).map(LeaseHolder::token)).as("the new store sees the lease")
            .contains(first.token());
        assertThat(reopened.tryAcquire(resource, OTHER, LONG)).isEmpty();
        assertThat(reopened.release(first)).isTrue();
        Lease second = reopened.tryAcquire(resource, OTHER, LONG).orElseThrow();
        assertThat(second.token().isNewerThan(first.token())).as("%s after %s", second.token(), first.token()).isTrue();
        if (tokensSharedByAllResources()) {
            Lease elsewhere = reopened.tryAcquire(newResource("other"), OTHER, LONG).orElseThrow();
            assertThat(elsewhere.token().isNewerThan(second.token())).as("one counter per backend").isTrue();
        }
    }

    @Test
    public void guardedWritesOfTheCurrentLeaseSucceed() {
        String resource = newResource("record");
        FencedRecords records = fencedRecords();
        records.create(resource, "new");
        Lease lease = acquire(resource, OWNER, LONG);
        assertThat(records.write(resource, lease.token(), "before stamping")).as("a write before the stamp").isFalse();
        assertThat(records.stamp(resource, lease.token())).isTrue();
        assertThat(records.stamp(resource, lease.token())).as("stamping again with the same token").isTrue();
        assertThat(records.write(resource, lease.token(), "done")).isTrue();
        assertThat(records.read(resource)).isEqualTo("done");
    }

    @Test
    public void aStaleOwnersGuardedWritesAreRefusedOnceTheNewOwnerStamped() {
        String resource = newResource("record");
        FencedRecords records = fencedRecords();
        records.create(resource, "new");
        Lease stale = acquire(resource, OWNER, shortDuration());
        assertThat(records.stamp(resource, stale.token())).isTrue();
        assertThat(records.write(resource, stale.token(), "stale owner, in time")).isTrue();
        awaitExpiry(stale);
        Lease current = acquire(resource, OTHER, LONG);
        assertThat(records.stamp(resource, current.token())).isTrue();
        assertThat(records.read(resource)).as("the new owner reads after stamping").isEqualTo("stale owner, in time");

        assertThat(records.write(resource, stale.token(), "stale owner, too late")).isFalse();
        assertThat(records.stamp(resource, stale.token())).as("a stale stamp").isFalse();
        assertThat(records.write(resource, stale.token(), "stale owner, again")).isFalse();
        assertThat(records.write(resource, current.token(), "new owner")).isTrue();
        assertThat(records.read(resource)).isEqualTo("new owner");
    }

    /**
     * Returns a task that waits for the start signal, so that racers start together.
     */
    private static <T> Callable<T> racer(CountDownLatch start, Callable<T> work) {
        return () -> {
            if (!start.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("The race did not start");
            }
            return work.call();
        };
    }
}
