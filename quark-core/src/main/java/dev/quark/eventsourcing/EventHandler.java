package dev.quark.eventsourcing;

/**
 * Handles the events an {@link EventSubscription} reads from the global feed, for instance to update a projection.
 */
@FunctionalInterface
public interface EventHandler {

    /**
     * Handles one event. Delivery is at least once: after a crash between this method and the checkpoint, the event
     * comes again, so make it idempotent (for instance keyed by {@link StoredEvent#eventId()}).
     * @param event the event
     * @throws Exception to stop the subscription at this event; the next poll delivers it again
     */
    void handle(StoredEvent event) throws Exception;
}
