package dev.quark.durabletasks.store;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import dev.quark.durabletasks.OrchestrationQuery;
import dev.quark.durabletasks.OrchestrationStatus;
import dev.quark.durabletasks.history.HistoryEvent;
import dev.quark.lease.FencingToken;

/**
 * Keeps orchestration instances, their histories and the queues of work: the SPI under the durable-task worker and
 * client. Quark ships an in-memory and a PostgreSQL implementation, which pass the same contract tests
 * ({@code DurableTaskStoreContractTests} in {@code quark-testkit}).
 * <p>
 * <b>Work and leases.</b> Workers find work with {@link #dueInstances} and {@link #dueActivities}, claim it with a
 * lease from a {@code dev.quark.lease.LeaseStore} (resources {@code durabletasks:instance:<id>} and
 * {@code durabletasks:activity:<id>}), then <em>stamp</em> it with the lease's fencing token
 * ({@link #claimInstance}, {@link #claimActivity}). Every later write for the claim carries the token and is refused
 * once a newer claim stamped the same work: a worker that lost its lease cannot record anything. A store may keep
 * the leases on the work's own records instead ({@link #rowLeases()}): workers then find, lease and stamp work in
 * one step and take no lease from their lease store (they are still built with one).
 * <p>
 * <b>What a store guarantees.</b>
 * <ul>
 * <li>{@link #commit} is atomic: history events, consumed messages, the instance's new status and the queued work
 * are written together or not at all. It appends at an expected sequence number, so two workers can never both
 * append to one history (a {@link HistoryConflictException}), and it is refused for a stale token
 * ({@code LeaseLostException}).</li>
 * <li>An activity call's outcome is recorded once: {@link #completeActivity} removes the call and queues its
 * outcome atomically, and only for the token that stamped the call last.</li>
 * <li>Messages are handed out in the order they were stored, once visible on the caller's clock (the {@code now}
 * arguments), which is how durable timers work.</li>
 * </ul>
 * Implementations are thread-safe. Failures to reach the backend surface as the backend client's runtime exceptions.
 */
public interface DurableTaskStore {

    /**
     * Creates an instance, unless one with its id exists.
     * @param instance the instance
     * @return empty when it was created, else the instance that has the id (left unchanged)
     */
    Optional<InstanceRecord> create(NewInstance instance);

    /**
     * Reads an instance.
     * @param instanceId the id
     * @return the instance, or empty when none has the id
     */
    Optional<InstanceRecord> instance(String instanceId);

    /**
     * Reads the current execution's history.
     * @param instanceId the id
     * @return the events in sequence order; empty when the instance does not exist or has not started
     */
    List<HistoryEvent> history(String instanceId);

    /**
     * Lists the instances that match a query's filters (status, orchestration name, creation time), ordered by id,
     * after the query's id: fewer than the limit only when there are no more.
     * @param query the filters and the page
     * @return the instances
     */
    List<InstanceRecord> list(OrchestrationQuery query);

    /**
     * Counts the instances in each status.
     * @return the counts; statuses without instances may be missing
     */
    Map<OrchestrationStatus, Long> countByStatus();

    /**
     * Queues a message for an instance that exists and has not finished.
     * @param message the message
     * @return whether it was queued; {@code false} when the instance does not exist or has finished
     */
    boolean send(TaskMessage message);

    /**
     * Deletes a finished instance with its history, messages and queued activity calls.
     * @param instanceId the id
     * @return whether it was deleted; {@code false} when it does not exist or has not finished
     */
    boolean purge(String instanceId);

    /**
     * Finds instances with messages visible now, whose start time has come; a {@code SUSPENDED} instance only when one
     * of those messages resumes ({@code ExecutionResumed}) or terminates it.
     * @param now the caller's clock
     * @param limit the most ids to return
     * @return the ids, those whose oldest visible message is oldest first
     */
    List<String> dueInstances(Instant now, int limit);

    /**
     * Returns when the earliest work not visible yet becomes visible: a timer, a delayed start, a message sent for
     * later, an activity call's later retry. A worker that found no work looks, and polls then rather than at its next
     * poll interval.
     * @param now the caller's clock: only work visible after it counts
     * @return the earliest instant after {@code now}; empty when there is none, and by default (a store that does not
     * tell leaves such work to the poll)
     */
    default Optional<Instant> nextVisibleAfter(Instant now) {
        return Optional.empty();
    }

    /**
     * Stamps an instance with a lease's token and reads what its next step needs.
     * @param instanceId the id, leased by the caller
     * @param token the lease's token
     * @param now the caller's clock: the messages visible at this instant are returned
     * @return the work item, or empty when the instance does not exist or a newer token stamped it
     */
    Optional<OrchestrationWorkItem> claimInstance(String instanceId, FencingToken token, Instant now);

    /**
     * Writes a step's outcome, atomically.
     * @param commit the outcome
     * @throws HistoryConflictException when the history's length is not the expected one
     * @throws dev.quark.lease.LeaseLostException when the instance is stamped with another token
     */
    void commit(OrchestrationCommit commit);

    /**
     * Finds activity calls due now: queued, or waiting for a retry whose time has come.
     * @param now the caller's clock
     * @param limit the most ids to return
     * @return the ids, the longest due first
     */
    List<String> dueActivities(Instant now, int limit);

    /**
     * Stamps an activity call with a lease's token and reads it.
     * @param activityId the call's id, leased by the caller
     * @param token the lease's token
     * @param now the caller's clock
     * @return the call, or empty when it no longer exists (completed, purged), is not due at {@code now} (put back
     * for a later retry since it was found) or a newer token stamped it
     */
    Optional<ActivityWorkItem> claimActivity(String activityId, FencingToken token, Instant now);

    /**
     * Removes an activity call and queues its outcome for its instance, atomically, if the call is still stamped
     * with the token.
     * @param activityId the call's id
     * @param token the token the caller claimed it with
     * @param outcome the message with the outcome ({@code TaskCompleted} or {@code TaskFailed})
     * @return whether the outcome was recorded; {@code false} when a newer claim stamped the call or it is gone
     */
    boolean completeActivity(String activityId, FencingToken token, TaskMessage outcome);

    /**
     * Puts an activity call back on the queue for another attempt, if it is still stamped with the token.
     * @param activityId the call's id
     * @param token the token the caller claimed it with
     * @param nextAttempt the number of the next attempt
     * @param visibleAt when the next attempt may start
     * @return whether the call was put back
     */
    boolean retryActivity(String activityId, FencingToken token, int nextAttempt, Instant visibleAt);

    /**
     * Records the details of an attempt's heartbeat (its progress), which the next claim of the call returns, if the
     * token is still the call's.
     * @param activityId the call
     * @param token the claim's token
     * @param details the details as JSON
     * @return whether they were recorded; {@code false} when the call is gone or stamped with another token
     */
    boolean recordHeartbeat(String activityId, FencingToken token, String details);

    /**
     * Returns the leases this store keeps on the work's own records, when it does: workers then claim work through
     * them, in one step and without taking leases from their lease store, instead of {@link #dueInstances}, a lease and {@link #claimInstance}
     * (and the same for activity calls).
     * @return the row leases, or empty (the default) when workers lease work from a lease store
     */
    default Optional<RowLeases> rowLeases() {
        return Optional.empty();
    }
}
