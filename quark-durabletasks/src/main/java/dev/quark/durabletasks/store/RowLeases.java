package dev.quark.durabletasks.store;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.quark.lease.FencingToken;

/**
 * Claims due work with the lease kept on the work's own record: its owner, expiry and fencing token are columns of
 * the instance or the activity call, and one claim finds due work, leases it and stamps it together, for a batch of
 * it. A store offers it through {@link DurableTaskStore#rowLeases()}; a worker then takes no lease from its lease
 * store (it is still built with one), and saves its round trips (acquire, then stamp, then release).
 * <p>
 * <b>What it guarantees, on top of {@link DurableTaskStore}'s.</b>
 * <ul>
 * <li>A claim takes only work whose lease is free or has expired, and stamps each piece
 * with a new fencing token, greater than any it had: a worker whose lease expired and was taken over can record
 * nothing ({@link DurableTaskStore#commit}, {@link DurableTaskStore#completeActivity} and the others compare the
 * token). Two concurrent claims never take the same piece.</li>
 * <li>The write that ends a piece of work frees its lease in the same step: {@link DurableTaskStore#commit} the
 * instance's, {@link DurableTaskStore#completeActivity} and {@link DurableTaskStore#retryActivity} the call's.</li>
 * <li>Expiry is decided on the store's own clock (the database server's): a lease taken or renewed for a duration
 * expires that long after the store granted it, whatever the callers' clocks say, so that a worker whose clock runs
 * ahead never takes over work whose lease is still live. Whether work is due (a message's or a call's visible time,
 * an instance's start time) is still compared with the caller's {@code now}, as timers are.</li>
 * </ul>
 * A claim's leases are committed at once: an implementation that then fails to read what it claimed frees the leases
 * it cannot hand over (all of them when the read fails; only the unreadable piece's when one cannot be read, leaving
 * it out of the result), so that no failure holds healthy work for a lease's duration.
 * <p>
 * Implementations are thread-safe.
 */
public interface RowLeases {

    /**
     * Claims instances due now ({@link DurableTaskStore#dueInstances}) whose lease is free or has expired, and reads
     * what their next steps need.
     * @param owner who holds the leases, for operators
     * @param now the caller's clock: due messages and start times
     * @param leaseDuration how long the leases last unless renewed, from when the store grants them
     * @param limit the most instances to claim
     * @return the work items, each with its new token; those whose oldest visible message is oldest first
     */
    List<OrchestrationWorkItem> claimInstances(String owner, Instant now, Duration leaseDuration, int limit);

    /**
     * Claims activity calls due now ({@link DurableTaskStore#dueActivities}) whose lease is free or has expired.
     * @param owner who holds the leases, for operators
     * @param now the caller's clock: visibility
     * @param leaseDuration how long the leases last unless renewed, from when the store grants them
     * @param limit the most calls to claim
     * @return the calls, each with its new token
     */
    List<ActivityWorkItem> claimActivities(String owner, Instant now, Duration leaseDuration, int limit);

    /**
     * Writes a step's outcome as {@link DurableTaskStore#commit} does and, in the same transaction, leases up to
     * {@code limit} of the activity calls it queues to {@code owner}, in the commit's order, as
     * {@link #claimActivities} would: so that the worker that ran the step runs them without claiming them. The
     * leases expire on the store's clock and carry new tokens like any claim's; the calls not leased (past the
     * limit, or already queued by an earlier commit) stay for {@link #claimActivities}. Nothing is leased when the
     * commit is refused.
     * @param commit the step's outcome
     * @param owner who holds the leases, for operators
     * @param leaseDuration how long the leases last unless renewed, from when the store grants them
     * @param limit the most calls to lease, not negative
     * @return the calls leased, each with its token, attempt 1
     * @throws HistoryConflictException when the history's length is not the expected one
     * @throws dev.quark.lease.LeaseLostException when the instance is stamped with another token
     */
    List<ActivityWorkItem> commitLeasingActivities(OrchestrationCommit commit, String owner, Duration leaseDuration,
            int limit);

    /**
     * Extends the leases on instances that are still stamped with the given tokens and not freed (a freed lease is
     * not taken again by a renewal).
     * @param held the instances' ids and the tokens they were claimed with
     * @param leaseDuration how long the leases last from now on the store's clock
     * @return the ids whose lease was extended; the others were taken over, freed or are gone
     */
    Set<String> renewInstances(Map<String, FencingToken> held, Duration leaseDuration);

    /**
     * Extends the leases on activity calls that are still stamped with the given tokens and not freed.
     * @param held the calls' ids and the tokens they were claimed with
     * @param leaseDuration how long the leases last from now on the store's clock
     * @return the ids whose lease was extended; the others were taken over, freed or are gone
     */
    Set<String> renewActivities(Map<String, FencingToken> held, Duration leaseDuration);

    /**
     * Frees an instance's lease, if it is still stamped with the token, for a step that wrote nothing.
     * @param instanceId the instance
     * @param token the token it was claimed with
     */
    void releaseInstance(String instanceId, FencingToken token);

    /**
     * Frees an activity call's lease, if it is still stamped with the token, for an attempt that recorded nothing.
     * @param activityId the call
     * @param token the token it was claimed with
     */
    void releaseActivity(String activityId, FencingToken token);
}
