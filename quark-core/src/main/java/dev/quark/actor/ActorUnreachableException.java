package dev.quark.actor;

import org.jspecify.annotations.Nullable;

/**
 * No silo can be reached that hosts the called actor: this runtime does not host its contract and nothing
 * routes the call elsewhere (no cluster is configured, or no silo hosting the contract is known). The call
 * was not delivered.
 */
public class ActorUnreachableException extends ActorException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     * @param message what could not be reached and why
     */
    public ActorUnreachableException(String message) {
        super(message);
    }

    /**
     * Creates the exception with its cause.
     * @param message what could not be reached and why
     * @param cause what stopped the call
     */
    public ActorUnreachableException(String message, @Nullable Throwable cause) {
        super(message, cause);
    }
}
