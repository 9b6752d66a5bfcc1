package dev.quark.lease;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * Grants leases on named resources, with fencing tokens: the SPI that jobs, durable tasks, reminders and the
 * outbox claim their work through. Quark ships an in-memory, a Redis and a PostgreSQL implementation, which all
 * pass the same contract tests ({@code LeaseStoreContractTests} in {@code quark-testkit}); implementations
 * extend {@link AbstractLeaseStore}.
 * <p>
 * <b>What a store guarantees.</b>
 * <ul>
 * <li>At most one unexpired lease per resource: of concurrent acquirers of a free resource exactly one wins, and
 * a batch acquisition never grants a resource that another caller holds or is granted at the same time.</li>
 * <li>Every lease's {@link FencingToken} is greater than every token issued before for its resource, also after
 * the earlier lease was released or expired, and (Redis, PostgreSQL) also through a new store instance or a
 * restart of the server, as long as the server keeps its data (on Redis: with persistence turned on).</li>
 * <li>A lease is lost when it expires: a renewal must reach the store before that, and a renewal, a release or a
 * {@link #check check} with a token that is not the one of the resource's unexpired lease is refused. A lease that
 * expired stays lost even when nobody took the resource since.</li>
 * </ul>
 * <b>Whose clock decides expiry.</b> The store's: the in-memory store's injected clock; the Redis server's
 * clock (a key expiry); the PostgreSQL server's {@code clock_timestamp()}. All owners are then judged by one clock,
 * so clock offsets between application nodes cannot let two owners hold a resource at once. The caller's clock
 * only computes {@link Lease#validUntil()}, conservatively (see {@link Lease}). What remains assumed is that clocks
 * run at about the same rate; fencing tokens cover the rest.
 * <p>
 * <b>Fencing.</b> A lease does not stop a paused owner from waking up after its lease expired and writing. Writes
 * made on behalf of a lease must therefore be refused when its token is stale, atomically with the write:
 * <ul>
 * <li>in a table or hash of the area's own, keep the token in a column ({@code lease_token}): after acquiring,
 * <em>stamp</em> the row ({@code UPDATE job SET lease_token = :token WHERE id = :id AND (lease_token IS NULL OR
 * lease_token <= :token)}) before reading it, then make every write conditional on it ({@code ... WHERE id = :id
 * AND lease_token = :token}); zero rows means the lease was lost. {@code dev.quark.lease.jdbc.JdbcFencing} and
 * {@code dev.quark.lease.redis.RedisFencing} give the SQL and the Lua;</li>
 * <li>on PostgreSQL, in the database of the lease table, a write can instead require the lease itself, in the same
 * statement: {@code JdbcFencing#leaseIsCurrent};</li>
 * <li>elsewhere, {@link #check} just before the write narrows the window but cannot close it.</li>
 * </ul>
 * Implementations are thread-safe. Failures to reach the backend surface as the backend client's runtime
 * exceptions; whether the operation happened is then unknown, which the guarantees above keep safe.
 */
public interface LeaseStore {

    /** The longest lease a store grants in one acquisition or renewal. */
    Duration MAX_DURATION = Duration.ofDays(365);

    /**
     * Acquires a resource if it is free: nobody ever held it, or its lease expired or was released.
     * @param resource the resource; not blank, at most 1024 characters
     * @param owner the owner; not blank, at most 255 characters
     * @param duration how long the lease lasts unless renewed, at least 1ms, in whole milliseconds
     * @return the lease, or empty when another lease on the resource is unexpired (whoever holds it, this owner
     * included)
     */
    Optional<Lease> tryAcquire(String resource, String owner, Duration duration);

    /**
     * Acquires up to {@code max} of the given resources that are free, in one step on the backend: the way to
     * claim work in batches ("give me up to 10 of these jobs").
     * @param resources the candidates, in order of preference; duplicates count once
     * @param max the most leases to grant; 0 grants none
     * @param owner the owner of every lease granted
     * @param duration how long each lease lasts unless renewed
     * @return the leases granted, in the order of {@code resources}; a resource held by anyone, or being acquired by
     * another caller at the same moment, is skipped
     */
    List<Lease> tryAcquireAny(Collection<String> resources, int max, String owner, Duration duration);

    /**
     * Extends a lease that is still held.
     * @param lease the lease
     * @param duration the new duration, counted from now
     * @return the renewed lease, or empty when the lease was lost: it expired, was released, or another owner
     * holds the resource
     */
    Optional<Lease> renew(Lease lease, Duration duration);

    /**
     * Extends several leases in one step on the backend.
     * @param leases the leases; duplicates count once
     * @param duration the new duration, counted from now
     * @return which leases were renewed and which were lost
     */
    LeaseRenewal renewAll(Collection<Lease> leases, Duration duration);

    /**
     * Releases a lease, so that the resource is free at once. Releasing a lease that was lost changes nothing.
     * @param lease the lease
     * @return whether the lease was still held until this release
     */
    boolean release(Lease lease);

    /**
     * Releases several leases in one step on the backend.
     * @param leases the leases; duplicates count once
     * @return the leases that were still held until this release
     */
    List<Lease> releaseAll(Collection<Lease> leases);

    /**
     * Reads who holds a resource.
     * @param resource the resource
     * @return the holder of the resource's unexpired lease, or empty when the resource is free
     */
    Optional<LeaseHolder> holder(String resource);

    /**
     * Makes every lease granted on a resource from now on carry a token greater than a given one; never lowers the
     * tokens. This is how an area whose guarded rows hold tokens greater than the store issues brings the store back
     * above them after the store lost its tokens (Redis restarted without persistence, a lease table restored from an
     * older backup): the rows refuse every write of leases with lower tokens, so without it the area would stop
     * until the store's tokens caught up on their own. The lease stores of {@code dev.quark.lease} (in memory, Redis,
     * JDBC) draw the tokens of all resources from one counter, so they raise every resource's tokens at once. The job
     * stores' own lease stores ({@code JdbcJobLeaseStore}, {@code RedisJobLeaseStore}) keep each job's token in the
     * job's row or hash, which is also what the token guards, so it never falls behind it: they do not raise (the
     * default).
     * @param resource the resource whose guarded data holds {@code token}; not blank, at most 1024 characters
     * @param token the token that every lease granted from now on exceeds
     * @throws UnsupportedOperationException when the store cannot raise its tokens (the default): the caller logs
     * and goes on, and the store's tokens catch up only as fast as it issues them
     */
    default void raiseTokensAbove(String resource, FencingToken token) {
        throw new UnsupportedOperationException(getClass().getName() + " cannot raise its fencing tokens above "
                + token + " for resource '" + resource + "': implement LeaseStore.raiseTokensAbove");
    }

    /**
     * Checks that a token is the one of the resource's unexpired lease, for a write outside the store that cannot be
     * made conditional on it: the lease may still be lost between this check and the write.
     * @param resource the resource
     * @param token the token the write is made for
     * @throws LeaseLostException naming the current holder, or saying that nobody holds the resource, when the
     * token is not current
     */
    default void check(String resource, FencingToken token) {
        Optional<LeaseHolder> holder = holder(resource);
        if (holder.isEmpty()) {
            throw LeaseLostException.nobodyHolds(resource, token);
        }
        if (!holder.get().token().equals(token)) {
            throw new LeaseLostException(resource, token, holder.get());
        }
    }
}
