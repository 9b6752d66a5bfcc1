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
 * {@link MailboxFullException}, an {@link ActorRuntimeClosedException}, and an {@link ActorCallTimeoutException}
 * of the {@code receiveReminder} call itself (the delivery timeout, or the runtime's call timeout). The same
 * exceptions thrown by {@code receiveReminder} itself, from a call it makes, are taken the same way: the tick is
 * tried again.
 */
final class ReminderDeliveryFailures {

    private static final String METHOD = "receiveReminder";

    private ReminderDeliveryFailures() {
    }

    /**
     * Returns whether a failure means that the tick did not reach its actor, or that it is not known to have.
     * @param failure the failure, unwrapped
     * @return {@code true} to try the same instant again
     */
    static boolean notDelivered(Throwable failure) {
        if (failure instanceof ActorCallTimeoutException timeout) {
            return METHOD.equals(timeout.getMethod());
        }
        return failure instanceof ActorUnreachableException || failure instanceof MailboxFullException
                || failure instanceof ActorRuntimeClosedException;
    }
}
