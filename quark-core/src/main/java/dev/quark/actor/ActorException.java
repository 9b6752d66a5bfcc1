package dev.quark.actor;

import org.jspecify.annotations.Nullable;

/**
 * Base class of the exceptions the actor runtime raises itself. Exceptions thrown by actor code reach the
 * caller unchanged, never wrapped in this type.
 */
public class ActorException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates an exception with a message.
     * @param message the detail message
     */
    public ActorException(String message) {
        super(message);
    }

    /**
     * Creates an exception with a message and a cause.
     * @param message the detail message
     * @param cause the cause
     */
    public ActorException(String message, @Nullable Throwable cause) {
        super(message, cause);
    }
}
