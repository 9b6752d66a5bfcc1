package dev.quark.actor;

import java.time.Duration;

/**
 * A call did not complete within the call timeout. If the message had not started when the caller gave up,
 * it is skipped; a turn already running is not interrupted.
 */
public class ActorCallTimeoutException extends ActorException {

    private static final long serialVersionUID = 1L;

    private final String actor;

    private final String method;

    /**
     * Creates the exception.
     * @param actor the actor, as {@code Contract/id}
     * @param method the method name
     * @param timeout the timeout that elapsed
     */
    public ActorCallTimeoutException(String actor, String method, Duration timeout) {
        super("Call " + actor + "." + method + "() did not complete within " + timeout.toMillis() + " ms");
        this.actor = actor;
        this.method = method;
    }

    /**
     * Creates the exception with its own message, for subclasses and as it crossed silos.
     * @param actor the actor, as {@code Contract/id}
     * @param method the method name
     * @param message the detail message
     */
    public ActorCallTimeoutException(String actor, String method, String message) {
        super(message);
        this.actor = actor;
        this.method = method;
    }

    /**
     * Returns the actor that was called.
     * @return the actor, as {@code Contract/id}
     */
    public String getActor() {
        return this.actor;
    }

    /**
     * Returns the name of the method that was called.
     * @return the method name
     */
    public String getMethod() {
        return this.method;
    }
}
