package dev.quark.cluster;

import dev.quark.actor.ActorUnreachableException;

import org.jspecify.annotations.Nullable;

/**
 * A call could not be served by the silo that owns its actor: that silo was declared dead or left while the
 * call waited for its answer, cannot be reached, or could not take the actor over. The message names the
 * actor, the silos and the membership version. Callers may retry: once membership has settled, the retry
 * goes to the actor's new owner. A call that failed this way may or may not have run.
 */
public class SiloUnavailableException extends ActorUnreachableException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     * @param message what could not be served, by which silo, and why
     */
    public SiloUnavailableException(String message) {
        super(message);
    }

    /**
     * Creates the exception with its cause.
     * @param message what could not be served, by which silo, and why
     * @param cause the transport's or the other silo's failure
     */
    public SiloUnavailableException(String message, @Nullable Throwable cause) {
        super(message, cause);
    }
}
