package dev.quark.actor;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

import dev.quark.supervision.SupervisorStrategy;
import org.jspecify.annotations.Nullable;

/**
 * Optional base class for actor implementations: gives the actor its id, the context of the current turn,
 * lifecycle hooks, control over its own activation, timers, reminders, and children it supervises.
 * <pre>{@code
 * @QuarkActor
 * class AccountActor extends AbstractActor implements Account {
 *     private long balance;
 *
 *     public long deposit(long amount) {
 *         return balance += amount;
 *     }
 * }
 * }</pre>
 * Everything here is meant to be used from the actor's own turns and lifecycle hooks.
 */
public abstract class AbstractActor {

    /**
     * Set by the runtime when it attaches the instance to its activation, through a private lookup resolved
     * once; see {@link ActorHost}.
     */
    private @Nullable ActorHost host;

    /**
     * Returns this actor's id.
     * @return the actor id
     */
    public final String actorId() {
        return host().actorId();
    }

    /**
     * Returns the context of the turn being served: request id, metadata and call chain.
     * @return the current context
     * @throws IllegalStateException when called outside one of this actor's turns
     */
    protected final ActorContext context() {
        return host().currentContext();
    }

    /**
     * Called once per activation, after the instance is created and before its first turn. An exception
     * fails the activation: the call that triggered it gets an {@link ActivationException} and the instance
     * is discarded.
     * @throws Exception to fail the activation
     */
    protected void onActivate() throws Exception {
    }

    /**
     * Called once when the activation ends, as the last thing that runs on it. An exception is logged; the
     * activation ends regardless.
     * @param reason why the activation ends
     * @throws Exception logged by the runtime
     */
    protected void onDeactivate(DeactivationReason reason) throws Exception {
    }

    /**
     * Asks the runtime to deactivate this actor once the current turn ends, with reason
     * {@link DeactivationReason#EXPLICIT}. Calls that arrive meanwhile go to a fresh activation.
     */
    protected final void deactivateOnIdle() {
        host().deactivateOnIdle();
    }

    /**
     * Registers a volatile timer, or replaces the one with the same name. Each tick runs {@code callback} as
     * a turn of this actor, never at the same time as another turn; the next tick is due {@code period} after
     * the previous one ended. The timer ends with the activation; ticks do not keep the activation from idle
     * collection.
     * @param name the timer's name within this activation
     * @param dueTime how long until the first tick, not negative
     * @param period the time between the end of a tick and the next one, not negative; {@link Duration#ZERO}
     * ticks once
     * @param callback runs on every tick; an exception is logged and, for a child actor, handed to its
     * supervisor like a failed turn
     * @return the timer
     * @throws IllegalArgumentException if a duration is negative or the name is blank
     */
    protected final ActorTimer registerTimer(String name, Duration dueTime, Duration period, Runnable callback) {
        return host().registerTimer(name, dueTime, period, TimerOptions.DEFAULT, callback);
    }

    /**
     * Registers a volatile timer with options; see
     * {@link #registerTimer(String, Duration, Duration, Runnable)}.
     * @param name the timer's name within this activation
     * @param dueTime how long until the first tick, not negative
     * @param period the time between the end of a tick and the next one, not negative
     * @param options for instance whether ticks keep the activation alive
     * @param callback runs on every tick
     * @return the timer
     */
    protected final ActorTimer registerTimer(String name, Duration dueTime, Duration period, TimerOptions options,
            Runnable callback) {
        return host().registerTimer(name, dueTime, period, options, callback);
    }

    /**
     * Cancels a timer by name.
     * @param name the timer's name
     * @return whether a timer of that name was active
     */
    protected final boolean cancelTimer(String name) {
        return host().cancelTimer(name);
    }

    /**
     * Registers a persistent reminder without payload, or replaces the one with the same name; see
     * {@link #registerReminder(String, ReminderSchedule, byte[])}.
     * @param name the reminder's name within this actor
     * @param schedule when it ticks
     * @return the registered reminder, with the instant of its first tick
     */
    protected final Reminder registerReminder(String name, ReminderSchedule schedule) {
        return host().reminders().register(name, schedule, new byte[0]);
    }

    /**
     * Registers a persistent reminder, or replaces the one with the same name (its schedule starts again, and a
     * tick of the old one that is running completes). Unlike a timer, a reminder is kept in the reminder table:
     * it survives deactivation and restarts, and each tick is delivered to
     * {@link Remindable#receiveReminder(String, ReminderStatus)} as a turn of this actor, activating it when
     * needed. The actor must implement {@link Remindable}.
     * <p>
     * Nothing is stored when an argument is wrong. A reminder may be registered from any code of the actor,
     * including {@code onActivate()} and {@code receiveReminder} itself; it writes to the table, so it waits
     * for the backend.
     * @param name the reminder's name within this actor: not blank, at most 255 characters, no NUL
     * @param schedule when it ticks
     * @param payload delivered with every tick; at most {@code quark.reminders.max-payload-size} bytes
     * @return the registered reminder, with the instant of its first tick
     * @throws IllegalArgumentException naming the value: a blank or too long name, a payload over the limit, an
     * end before the first tick, a cron expression with no instant after the first tick
     * @throws IllegalStateException naming the actor type when it does not implement {@link Remindable}, or when
     * the runtime has no reminder service
     * @throws ReminderException when the reminder table fails
     */
    protected final Reminder registerReminder(String name, ReminderSchedule schedule, byte[] payload) {
        return host().reminders().register(name, schedule, payload);
    }

    /**
     * Removes a reminder: no tick starts after this returns, on any silo, except one already running.
     * @param name the reminder's name
     * @return whether a reminder of that name existed
     * @throws ReminderException when the reminder table fails
     */
    protected final boolean unregisterReminder(String name) {
        return host().reminders().unregister(name);
    }

    /**
     * Reads one of this actor's reminders from the reminder table.
     * @param name the reminder's name
     * @return the reminder, empty when none has that name
     * @throws ReminderException when the reminder table fails
     */
    protected final Optional<Reminder> getReminder(String name) {
        return host().reminders().get(name);
    }

    /**
     * Reads all of this actor's reminders from the reminder table.
     * @return the reminders, by name
     * @throws ReminderException when the reminder table fails
     */
    protected final List<Reminder> listReminders() {
        return host().reminders().list();
    }

    /**
     * Returns a reference to a child of this actor, supervised by it with {@link #supervisorStrategy()}. A
     * child is an ordinary actor (its id is {@code childId}; anyone can call it), activated on its first
     * call, on this actor's silo. In a cluster, a child of a type annotated {@link PlacedWithParent} hosted here is
     * registered in the directory as living on this silo before this method returns (it may wait for the
     * directory's answer), unless it runs elsewhere already; its entry leaves when this actor ends. A child that
     * runs elsewhere (already at the spawn, of a type without the annotation, or when the registration failed) is
     * placed like any
     * actor of its type and is supervised only while it runs on this actor's silo. It has exactly one
     * supervisor; spawning it again from
     * this actor returns the same child. When this actor deactivates, its children deactivate first.
     * @param contract the child's contract
     * @param childId the child's actor id
     * @param <T> the contract type
     * @return a reference to the child
     * @throws IllegalStateException if another actor already supervises that child
     */
    protected final <T extends Actor> T spawnChild(Class<T> contract, String childId) {
        return host().spawnChild(contract, childId);
    }

    /**
     * Returns this actor's children, in spawn order.
     * @return references to the children
     */
    protected final List<ActorRef> children() {
        return host().children();
    }

    /**
     * Returns how this actor supervises its children; read when a child is spawned. Override to change it.
     * @return the strategy; by default {@link SupervisorStrategy#defaults()}
     */
    protected SupervisorStrategy supervisorStrategy() {
        return SupervisorStrategy.defaults();
    }

    /**
     * Runs as a turn of this actor when a child's failure is escalated to it (a decision of
     * {@link dev.quark.supervision.Directive#ESCALATE}, or a child beyond its restart limit). By default it
     * rethrows the failure, which makes it this actor's own failure, decided by its supervisor.
     * @param child the child that failed
     * @param failure what the child threw
     * @throws Exception to fail this actor's turn
     */
    protected void onChildEscalation(ActorRef child, Throwable failure) throws Exception {
        if (failure instanceof Exception exception) {
            throw exception;
        }
        if (failure instanceof Error error) {
            throw error;
        }
        throw new IllegalStateException(failure);
    }

    private ActorHost host() {
        ActorHost current = this.host;
        if (current == null) {
            throw new IllegalStateException(getClass().getName()
                    + " is not attached to an activation: actors are created by the runtime, not with new");
        }
        return current;
    }
}
