package dev.quark.eventsourcing;

/**
 * An {@link EventHandler} failed; the subscription's checkpoint stays before the event, which the next poll
 * delivers again.
 */
public class EventSubscriptionException extends EventStoreException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     * @param subscription the subscription's name
     * @param event the event whose handling failed
     * @param cause what the handler threw
     */
    public EventSubscriptionException(String subscription, StoredEvent event, Throwable cause) {
        super(event.stream(), "Subscription '" + subscription + "' failed to handle event " + event.type() + " version "
                + event.version() + " of stream '" + event.stream() + "' at feed position " + event.position()
                + "; its checkpoint stays before it: " + cause, cause);
    }
}
