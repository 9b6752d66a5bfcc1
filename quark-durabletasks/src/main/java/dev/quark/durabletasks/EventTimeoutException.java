package dev.quark.durabletasks;

import java.time.Duration;

/**
 * An external event an orchestration waited for did not arrive in time
 * ({@link OrchestrationContext#waitForExternalEvent(String, Class, Duration)}).
 */
public class EventTimeoutException extends DurableTaskException {

    private static final long serialVersionUID = 1L;

    private final String eventName;

    /**
     * Creates the exception.
     * @param eventName the event's name
     * @param timeout how long the orchestration waited
     */
    public EventTimeoutException(String eventName, Duration timeout) {
        super("External event '" + eventName + "' did not arrive within " + timeout);
        this.eventName = eventName;
    }

    private EventTimeoutException(String message, String eventName, boolean crossedSilos) {
        super(message);
        this.eventName = eventName;
    }

    /**
     * Rebuilds the exception another silo threw, with the message written there.
     * @param message the message as written there
     * @param eventName the field of that name
     * @return the exception
     */
    public static EventTimeoutException crossedSilos(String message, String eventName) {
        return new EventTimeoutException(message, eventName, true);
    }

    /**
     * Returns the event's name.
     * @return the name
     */
    public String getEventName() {
        return this.eventName;
    }
}
