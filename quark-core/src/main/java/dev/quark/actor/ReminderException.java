package dev.quark.actor;

import org.jspecify.annotations.Nullable;

/**
 * A reminder could not be registered, removed or read because the reminder table failed or could not be
 * reached. Whether a registration or removal that failed this way took effect is unknown: reading the
 * reminder back tells.
 */
public class ReminderException extends ActorException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates an exception with a message and a cause.
     * @param message the detail message, naming the actor and the reminder
     * @param cause what the table threw
     */
    public ReminderException(String message, @Nullable Throwable cause) {
        super(message, cause);
    }
}
