package dev.quark.runtime.internal;

import dev.quark.actor.ActorRuntimeClosedException;
import dev.quark.actor.ActorUnreachableException;
import dev.quark.actor.MailboxFullException;
import dev.quark.actor.Remindable;
import dev.quark.actor.ReminderTurnException;

/**
 * Marks what a turn of {@link Remindable#receiveReminder} threw as coming from the turn. The silo that fires a
 * tick tries its instant again when the call failed with an {@link ActorUnreachableException}, a
 * {@link MailboxFullException} or an {@link ActorRuntimeClosedException} (the call did not reach a turn); the same
 * types escaping from a call that {@code receiveReminder} made itself say nothing of the tick's own call, so they
 * are wrapped in a {@link ReminderTurnException} here, where the turn is known to have run, locally or on the silo
 * that answers a remote call. Keep the types in step with {@code dev.quark.reminder.ReminderDeliveryFailures}.
 */
final class ReminderTurns {

    private ReminderTurns() {
    }

    /**
     * Returns what the caller of a turn should see of its failure.
     * @param activation the actor whose turn ran
     * @param method the method the turn ran
     * @param failure what the turn threw
     * @return the failure, or a {@link ReminderTurnException} around it
     */
    static Throwable failureOf(Activation activation, ActorMethod method, Throwable failure) {
        if (method.descriptor().contract() != Remindable.class || !(failure instanceof ActorUnreachableException
                || failure instanceof MailboxFullException || failure instanceof ActorRuntimeClosedException)) {
            return failure;
        }
        return new ReminderTurnException(activation.identity + "." + method.name() + "() threw "
                + failure.getClass().getName() + ": " + failure.getMessage(), failure);
    }
}
