package dev.quark.actor;

/**
 * A call was made, or was still waiting in a mailbox, when the actor runtime shut down.
 */
public class ActorRuntimeClosedException extends ActorException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     * @param message the detail message
     */
    public ActorRuntimeClosedException(String message) {
        super(message);
    }
}
