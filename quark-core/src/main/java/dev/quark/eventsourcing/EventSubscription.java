package dev.quark.eventsourcing;

import java.util.List;
import java.util.Objects;

/**
 * Follows an {@link EventFeed} under a name, handing each event to a handler and recording a checkpoint after each,
 * so that a subscription created again with the same name (after a restart, on another node) resumes after the
 * last event it handled. Delivery is at least once; order is the feed's.
 * <pre>{@code
 * EventSubscription balances = new EventSubscription("balances", store.feed().orElseThrow(), projection::apply);
 * while (balances.poll() > 0) { }     // catch up; then poll periodically, for instance from a scheduled task
 * }</pre>
 * One subscription name should be polled by one thread at a time (its checkpoint writes are not fenced: nothing
 * stops a second poller from moving the checkpoint back); polls of different names are independent. Under
 * Spring Boot, declare an {@link EventSubscriptionDefinition} bean instead and Quark follows it in the background, one
 * node at a time ({@code dev.quark.eventsourcing.subscription.EventSubscriptionRunner}).
 */
public final class EventSubscription {

    /** How many events one poll reads unless told otherwise. */
    public static final int DEFAULT_BATCH_SIZE = 100;

    private final String name;

    private final EventFeed feed;

    private final EventHandler handler;

    private final int batchSize;

    /**
     * Creates a subscription reading {@value #DEFAULT_BATCH_SIZE} events per poll.
     * @param name the subscription's name, under which its checkpoint is kept; not blank, at most 255 characters
     * @param feed the feed
     * @param handler handles the events
     */
    public EventSubscription(String name, EventFeed feed, EventHandler handler) {
        this(name, feed, handler, DEFAULT_BATCH_SIZE);
    }

    /**
     * Creates a subscription.
     * @param name the subscription's name, under which its checkpoint is kept; not blank, at most 255 characters
     * @param feed the feed
     * @param handler handles the events
     * @param batchSize the most events one poll reads, at least 1
     * @throws IllegalArgumentException for a blank or too long name, or a batch size below 1
     */
    public EventSubscription(String name, EventFeed feed, EventHandler handler, int batchSize) {
        this(new EventSubscriptionDefinition(name, handler, batchSize), feed);
    }

    /**
     * Creates a subscription from a definition.
     * @param definition the name, handler and batch size
     * @param feed the feed
     */
    public EventSubscription(EventSubscriptionDefinition definition, EventFeed feed) {
        this.name = definition.name();
        this.feed = Objects.requireNonNull(feed, "feed must not be null");
        this.handler = definition.handler();
        this.batchSize = definition.batchSize();
    }

    /**
     * Reads the next events after the checkpoint and handles them, recording the checkpoint after each.
     * @return how many events were handled; 0 when the subscription is up to date
     * @throws EventSubscriptionException when the handler fails; the events before it stay handled
     */
    public int poll() {
        FeedPosition after = position();
        List<StoredEvent> events = this.feed.readAfter(after, this.batchSize);
        int handled = 0;
        for (StoredEvent event : events) {
            try {
                this.handler.handle(event);
            }
            catch (Exception ex) {
                throw new EventSubscriptionException(this.name, event, ex);
            }
            this.feed.saveCheckpoint(this.name, event.position());
            handled++;
        }
        return handled;
    }

    /**
     * Returns the position of the last event handled.
     * @return the checkpoint, {@link FeedPosition#START} before the first event
     */
    public FeedPosition position() {
        return this.feed.checkpoint(this.name).orElse(FeedPosition.START);
    }

    /**
     * Returns the subscription's name.
     * @return the name
     */
    public String name() {
        return this.name;
    }

    @Override
    public String toString() {
        return "EventSubscription[" + this.name + "]";
    }
}
