package dev.quark.reminder;

import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

import dev.quark.actor.ReminderStatus;
import dev.quark.actor.Remindable;
import dev.quark.runtime.ActorAddress;
import dev.quark.runtime.ActorRuntime;

/**
 * Delivers one tick to its actor. The default, {@link #through(ActorRuntime, Executor)}, calls
 * {@link Remindable#receiveReminder(String, dev.quark.actor.ReminderStatus)} through a reference of the
 * runtime, so a tick is an ordinary call: it activates the actor when needed, waits in its mailbox, runs as a
 * turn inside the incoming filters, and goes to the silo that hosts the actor.
 */
@FunctionalInterface
public interface ReminderDelivery {

    /**
     * Delivers a tick.
     * @param actor the actor
     * @param name the reminder's name
     * @param status the tick
     * @return a stage completed when the turn has run, exceptionally with what it threw
     */
    CompletionStage<?> deliver(ActorAddress actor, String name, ReminderStatus status);

    /**
     * Returns the delivery through a runtime's references: each tick is a synchronous call, made on a thread of
     * the executor (which should start virtual threads, as the calls wait for their turns).
     * @param runtime the runtime
     * @param executor runs the calls
     * @return the delivery
     */
    static ReminderDelivery through(ActorRuntime runtime, Executor executor) {
        Objects.requireNonNull(runtime, "runtime must not be null");
        Objects.requireNonNull(executor, "executor must not be null");
        return (actor, name, status) -> CompletableFuture.runAsync(() -> {
            try {
                runtime.reference(Remindable.class, actor).receiveReminder(name, status);
            }
            catch (RuntimeException ex) {
                throw ex;
            }
            catch (Exception ex) {
                throw new CompletionException(ex);
            }
        }, executor);
    }
}
