package dev.quark.state;

import dev.quark.actor.ActorException;
import org.jspecify.annotations.Nullable;

/**
 * Base class of the exceptions about one persistent state; each names the state's key.
 */
public class StateException extends ActorException {

    private static final long serialVersionUID = 1L;

    private final StateKey key;

    /**
     * Creates the exception.
     * @param key the state's key
     * @param message the detail message, which should name the key
     * @param cause the cause, if any
     */
    public StateException(StateKey key, String message, @Nullable Throwable cause) {
        super(message, cause);
        this.key = key;
    }

    /**
     * Returns the key of the state concerned.
     * @return the key
     */
    public StateKey getKey() {
        return this.key;
    }
}
