package dev.quark.actor;

import org.jspecify.annotations.Nullable;

/**
 * What a turn of {@link Remindable#receiveReminder(String, ReminderStatus)} threw, when it was an exception that
 * would otherwise read as "the tick did not reach its actor": an {@link ActorUnreachableException}, a
 * {@link MailboxFullException} or an {@link ActorRuntimeClosedException} escaping from a call that
 * {@code receiveReminder} made itself. The runtime that ran the turn wraps it at the end of the turn, so that the
 * silo firing the tick counts the tick as delivered and failed instead of delivering the same instant again; the
 * message names the original's type and message (a failure crossing silos keeps only those), the cause is the
 * original when the turn ran on the calling silo.
 */
public class ReminderTurnException extends ActorException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception, as a failure that crossed silos is rebuilt.
     * @param message the turn, and the type and message of what it threw
     */
    public ReminderTurnException(String message) {
        super(message);
    }

    /**
     * Creates the exception with what the turn threw.
     * @param message the turn, and the type and message of what it threw
     * @param cause what the turn threw
     */
    public ReminderTurnException(String message, @Nullable Throwable cause) {
        super(message, cause);
    }
}
