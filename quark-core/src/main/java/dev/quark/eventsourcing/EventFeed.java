package dev.quark.eventsourcing;

import java.util.List;
import java.util.Optional;

/**
 * Every stream's events in one order that readers can follow without ever skipping an event: an event that becomes
 * visible always sorts after every position a reader has already passed. {@link EventSubscription}s read it and keep
 * their checkpoints here.
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
     * Records a subscription's checkpoint.
     * @param subscription the subscription's name
     * @param position the position of the last event it handled
     */
    void saveCheckpoint(String subscription, FeedPosition position);
}
