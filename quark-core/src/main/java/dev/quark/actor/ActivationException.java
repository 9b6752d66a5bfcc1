package dev.quark.actor;

import org.jspecify.annotations.Nullable;

/**
 * An actor could not be activated: its instance could not be created, its state could not be loaded or its
 * {@link AbstractActor#onActivate()} threw. The failed activation is discarded; the next call tries again.
 */
public class ActivationException extends ActorException {

    private static final long serialVersionUID = 1L;

    private final String actor;

    /**
     * Creates the exception.
     * @param actor the actor, as {@code Contract/id}
     * @param cause what made the activation fail
     */
    public ActivationException(String actor, Throwable cause) {
        super("Activation of actor " + actor + " failed: " + cause, cause);
        this.actor = actor;
    }

    /**
     * Rebuilds the exception as it crossed silos, with the message it had there.
     * @param actor the actor, as {@code Contract/id}
     * @param message the message of the original exception
     * @param cause what made the activation fail, as rebuilt; may be {@code null}
     */
    public ActivationException(String actor, String message, @Nullable Throwable cause) {
        super(message, cause);
        this.actor = actor;
    }

    /**
     * Returns the actor that failed to activate.
     * @return the actor, as {@code Contract/id}
     */
    public String getActor() {
        return this.actor;
    }
}
