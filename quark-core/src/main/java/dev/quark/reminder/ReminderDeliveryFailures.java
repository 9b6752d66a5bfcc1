package dev.quark.reminder;

import dev.quark.actor.ActorCallTimeoutException;
import dev.quark.actor.ActorRuntimeClosedException;
import dev.quark.actor.ActorUnreachableException;
import dev.quark.actor.MailboxFullException;

/**
 * Tells a tick that did not reach its actor from one whose {@code receiveReminder} threw. The first keeps its
 * scheduled instant and is tried again; the second is counted failed and the schedule goes on.
 * <p>
 * Not delivered: an {@link ActorUnreachableException} (the actor's silo cannot be reached, was declared dead
 * while the call waited, is not serving, or the silos forwarded the call too often), a
 * {@link MailboxFullException} and an {@link ActorRuntimeClosedException}, raised by the runtime or the silos for
 * the tick's own call. The same exceptions escaping from a call that {@code receiveReminder} makes itself reach
 * here as a {@link dev.quark.actor.ReminderTurnException}: the runtime that ran the turn wraps them at its end
 * (locally, or on the silo that answered), so they count as failed and the instant is not delivered again.
 * Keep the types in step with {@code dev.quark.runtime.internal.ReminderTurns}.
 * <p>
 * A timeout ({@link ActorCallTimeoutException}: the delivery timeout, or the runtime's call timeout) is not among
 * them: the turn may have started and may still run, and trying the instant again would queue it behind that turn,
 * time out again and repeat the instant for ever while the later ones never fire. A timed-out tick counts as failed:
 * a periodic reminder goes on with its schedule, and a one-shot reminder is tried again up to
 * {@link ReminderSettings#maxAttempts()} attempts, as after any failure.
 */
final class ReminderDeliveryFailures {

    private ReminderDeliveryFailures() {
    }

    /**
     * Returns whether a failure means that the tick did not reach its actor, or that it is not known to have.
     * @param failure the failure, unwrapped
     * @return {@code true} to try the same instant again
     */
    static boolean notDelivered(Throwable failure) {
        if (failure instanceof ActorCallTimeoutException) {
            return false;
        }
        return failure instanceof ActorUnreachableException || failure instanceof MailboxFullException
                || failure instanceof ActorRuntimeClosedException;
    }
}
