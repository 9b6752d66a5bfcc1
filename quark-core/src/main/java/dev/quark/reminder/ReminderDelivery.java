package dev.quark.reminder;

import java.lang.reflect.Method;
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
 * Delivers one tick to its actor. The default, {@link #through(ActorRuntime)}, calls
 * {@link Remindable#receiveReminder(String, dev.quark.actor.ReminderStatus)} through the runtime, so a tick is an
 * ordinary call: it activates the actor when needed, waits in its mailbox, runs as a turn inside the incoming
 * filters, and goes to the silo that hosts the actor.
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
     * Returns the delivery through a runtime without a thread per tick: each tick is a call the runtime makes
     * without waiting ({@link ActorRuntime#callWithoutWaiting}), whose future completes when the turn has run.
     * The default of the tick manager.
     * @param runtime the runtime
     * @return the delivery
     */
    static ReminderDelivery through(ActorRuntime runtime) {
        Objects.requireNonNull(runtime, "runtime must not be null");
        Method receive;
        try {
            receive = Remindable.class.getMethod("receiveReminder", String.class, ReminderStatus.class);
        }
        catch (NoSuchMethodException ex) {
            throw new IllegalStateException("Remindable has no receiveReminder(String, ReminderStatus)", ex);
        }
        return (actor, name, status) -> runtime.callWithoutWaiting(Remindable.class, actor, receive, name, status);
    }

    /**
     * Returns the delivery through a runtime's references: each tick is a synchronous call, made on a thread of
     * the executor (which should start virtual threads, as the calls wait for their turns). It costs a thread per
     * tick; {@link #through(ActorRuntime)} does not.
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
