package dev.quark.eventsourcing;

/**
 * An {@link EventHandler} failed; the subscription's checkpoint stays before the event, which the next poll
 * delivers again. Or a retry of an {@link EventDeadLetter} failed, and the dead letter stays.
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

    private EventSubscriptionException(StoredEvent event, String message, Throwable cause) {
        super(event.stream(), message, cause);
    }

    /**
     * A retry of a dead letter failed: the handler failed on its event again.
     * @param subscription the subscription's name
     * @param event the dead-lettered event
     * @param cause what the handler threw
     * @return the exception, whose message says that the dead letter stays
     */
    public static EventSubscriptionException retryFailed(String subscription, StoredEvent event, Throwable cause) {
        return new EventSubscriptionException(event, "Subscription '" + subscription + "' failed again to handle its "
                + "dead letter, event " + event.type() + " version " + event.version() + " of stream '"
                + event.stream() + "' at feed position " + event.position() + "; the dead letter stays: " + cause,
                cause);
    }
}
