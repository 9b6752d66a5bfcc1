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
     * @throws Exception to stop the subscription at this event; the next poll delivers it again (until the
     * subscription's maximum number of attempts, if it has one: the event is then dead-lettered)
     */
    void handle(StoredEvent event) throws Exception;
}
