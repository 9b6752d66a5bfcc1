package dev.quark.eventsourcing;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

import dev.quark.lease.FencingToken;
import dev.quark.lease.Lease;
import dev.quark.lease.LeaseLostException;

/**
 * Every stream's events in one order that readers can follow without ever skipping an event: an event that becomes
 * visible always sorts after every position a reader has already passed. {@link EventSubscription}s read it and keep
 * their checkpoints here.
 * <p>
 * <b>Fenced checkpoints.</b> A subscription followed by one node at a time under a lease (the
 * {@code EventSubscriptionRunner}) keeps its checkpoint with the lease's fencing token: the node that takes the
 * subscription over {@link #claimCheckpoint claims} the checkpoint, stamping it with its token as it reads it, and
 * {@link #saveCheckpoint(String, FeedPosition, Lease) saves} it only while no newer token stamped it, each in one
 * atomic step. So once a new holder claimed the checkpoint, a write of a holder whose lease was taken over (a node
 * paused past its lease) is refused with a {@link LeaseLostException} instead of moving the checkpoint back. The
 * unfenced {@link #saveCheckpoint(String, FeedPosition)} neither checks nor changes the stamp.
 */
public interface EventFeed {

    /**
     * Reads the events after a position, in feed order.
     * @param after the position of the last event already read, {@link FeedPosition#START} for the beginning
     * @param limit the most events to return, at least 1
     * @return the events, at most {@code limit}; an event committed late appears only once no earlier one can
     */
    List<StoredEvent> readAfter(FeedPosition after, int limit);

    /**
     * Reads a subscription's checkpoint.
     * @param subscription the subscription's name
     * @return the position of the last event it handled, empty when it has none yet
     */
    Optional<FeedPosition> checkpoint(String subscription);

    /**
     * Records a subscription's checkpoint, unfenced: for a subscription polled by one thread
     * ({@link EventSubscription}) or a checkpoint set by hand while the subscription's runners are stopped (a running
     * holder keeps its position in memory and its next fenced write overwrites it). It leaves the checkpoint's token
     * as it is.
     * @param subscription the subscription's name
     * @param position the position of the last event it handled
     */
    void saveCheckpoint(String subscription, FeedPosition position);

    /**
     * Takes a subscription's checkpoint over for a lease just acquired on the subscription (the subscription's own lease:
     * tokens are global to the lease store, so a lease on another resource would lock its holder out): stamps it with the lease's
     * fencing token, so that the checkpoint writes of every older lease are refused from now on, and reads it, in one
     * atomic step. Claiming again with the same token succeeds.
     * @param subscription the subscription's name
     * @param lease the lease on the subscription
     * @return the position of the last event the subscription handled, empty when it has none yet
     * @throws LeaseLostException naming the lease's resource and token when a newer lease stamped the checkpoint
     * already: another node took the subscription over
     * @throws UnsupportedOperationException by default, for feeds written before fencing (implement it)
     */
    default Optional<FeedPosition> claimCheckpoint(String subscription, Lease lease) {
        throw new UnsupportedOperationException(getClass().getName() + " does not fence checkpoints: implement "
                + "claimCheckpoint and saveCheckpoint with a lease to follow its feed with an EventSubscriptionRunner");
    }

    /**
     * Records a subscription's checkpoint on behalf of a lease, fenced: written, and stamped with the lease's token,
     * only while no newer lease stamped the checkpoint, in one atomic step.
     * @param subscription the subscription's name
     * @param position the position of the last event it handled
     * @param lease the lease on the subscription the event was handled under
     * @throws LeaseLostException naming the lease's resource and token when a newer lease stamped the checkpoint:
     * another node took the subscription over, and the checkpoint stays what that node made it
     * @throws UnsupportedOperationException by default, for feeds written before fencing (implement it)
     */
    default void saveCheckpoint(String subscription, FeedPosition position, Lease lease) {
        throw new UnsupportedOperationException(getClass().getName() + " does not fence checkpoints: implement "
                + "claimCheckpoint and saveCheckpoint with a lease to follow its feed with an EventSubscriptionRunner");
    }

    /**
     * Whether this feed keeps dead letters: implements {@link #deadLetter}, {@link #deadLetters},
     * {@link #findDeadLetter} and {@link #deleteDeadLetter}. A subscription with a maximum number of attempts on a feed
     * that keeps none has its event tried again until the handler succeeds.
     * @return {@code false} by default
     */
    default boolean keepsDeadLetters() {
        return false;
    }

    /**
     * Records that a subscription gave up on an event, and moves its checkpoint to the event's position, fenced by the
     * lease, in one atomic step: either both happen or neither (a node whose lease was taken over records nothing, so
     * the event is neither skipped nor dead-lettered by a node that no longer follows). A dead letter at a position
     * already recorded for the subscription (a node that gave up on the event again after a take-over) is kept as it
     * was; the checkpoint moves all the same.
     * @param letter the dead letter, naming the subscription and the event
     * @param lease the lease on the subscription the event was handled under
     * @throws LeaseLostException naming the lease's resource and token when a newer lease stamped the checkpoint:
     * nothing is recorded and the checkpoint stays what the newer holder made it
     * @throws UnsupportedOperationException by default, for feeds that keep no dead letters: the subscription then
     * tries the event again until its handler succeeds
     */
    default void deadLetter(EventDeadLetter letter, Lease lease) {
        throw new UnsupportedOperationException(getClass().getName() + " keeps no dead letters: implement "
                + "EventFeed.deadLetter, deadLetters, findDeadLetter and deleteDeadLetter");
    }

    /**
     * Reads a subscription's dead letters.
     * @param subscription the subscription's name
     * @param limit the most dead letters to return, at least 1
     * @return the dead letters in feed order, at most {@code limit}; by default none (a feed that keeps none)
     */
    default List<EventDeadLetter> deadLetters(String subscription, int limit) {
        return List.of();
    }

    /**
     * Reads one dead letter of a subscription.
     * @param subscription the subscription's name
     * @param position the dead-lettered event's feed position
     * @return the dead letter, empty when there is none at that position (never recorded, retried or discarded)
     */
    default Optional<EventDeadLetter> findDeadLetter(String subscription, FeedPosition position) {
        return Optional.empty();
    }

    /**
     * Deletes a dead letter: once retried successfully, or discarded by an operator.
     * @param subscription the subscription's name
     * @param position the dead-lettered event's feed position
     * @return whether there was one to delete
     */
    default boolean deleteDeadLetter(String subscription, FeedPosition position) {
        return false;
    }

    /**
     * Reads the lease token stamped on a subscription's checkpoint: what a node whose claim was refused right after
     * acquiring the lease compares with its lease's token, to tell a lease store whose tokens went back (its lease still
     * valid, the stamp above its token) from a take-over.
     * @param subscription the subscription's name
     * @return the token of the newest lease that claimed or wrote the checkpoint, empty when none did or the stamp was
     * cleared
     * @throws UnsupportedOperationException by default, for feeds that cannot read their stamps: a node then cannot
     * raise the lease store's tokens above the stamp, and is fenced out until a person clears it
     */
    default Optional<FencingToken> checkpointStamp(String subscription) {
        throw new UnsupportedOperationException(getClass().getName() + " cannot read the lease token stamped on a "
                + "checkpoint: implement EventFeed.checkpointStamp");
    }

    /**
     * Reads when the lease store's fencing tokens were last raised above a subscription's checkpoint stamp, by any
     * node: a node whose claim is refused again within {@code 10 × (lease duration + poll interval)} of it takes the
     * second incident for two live lease stores on one checkpoint table and is fenced out instead of raising again.
     * Kept beside the checkpoint, so that a node restarted since, and a node on the other of two lease stores,
     * remember it too.
     * @param subscription the subscription's name
     * @return the latest raise {@link #recordTokensRaised recorded}, empty when none was, or by default (a feed that
     * keeps none: each node then remembers only its own raises, until it restarts)
     */
    default Optional<Instant> tokensRaisedAt(String subscription) {
        return Optional.empty();
    }

    /**
     * Records that a node raised the lease store's fencing tokens above a subscription's checkpoint stamp; a raise
     * recorded earlier than the one kept leaves it as it is. Does nothing by default.
     * @param subscription the subscription's name
     * @param raisedAt when, on the node's clock
     */
    default void recordTokensRaised(String subscription, Instant raisedAt) {
    }

    /**
     * How an operator clears by hand the lease token stamped on a subscription's checkpoint, for the message of a node
     * fenced out by a lease store whose tokens went back: on PostgreSQL, the statement on this store's own checkpoint
     * table (its table prefix included).
     * @param subscription the subscription's name
     * @return the instruction, one sentence or statement
     */
    default String clearCheckpointStamp(String subscription) {
        return "clear the lease token stamped on the checkpoint of '" + subscription + "' in " + getClass().getName();
    }
}
