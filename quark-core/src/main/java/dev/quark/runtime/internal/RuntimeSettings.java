package dev.quark.runtime.internal;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executor;

import dev.quark.runtime.ActivationHook;
import dev.quark.runtime.ActorMetrics;
import dev.quark.runtime.ActorReminderSource;
import dev.quark.runtime.routing.ActivationGate;

/**
 * The validated settings the engine runs with.
 *
 * @param clock the time source for idle collection
 * @param turnExecutor starts the threads turns run on
 * @param idleTimeout how long an activation may go without calls before it is collected
 * @param collectionInterval how often idle activations are looked for
 * @param mailboxCapacity how many messages may wait for one activation
 * @param mailboxFullTimeout how long a caller waits for room in a full mailbox
 * @param callTimeout how long a caller waits for the result of a call
 * @param platformCallerSpin how long a platform thread's blocking call spins for its answer before parking
 * @param shutdownTimeout how long closing the runtime waits for running turns and deactivations
 * @param metrics where calls are recorded
 * @param activationHooks what runs around every activation, in order
 * @param shedding when idle activations are deactivated before their idle timeout
 * @param reminders gives activations the reminders of their actor
 * @param activationGate decides whether a new activation may start on this silo
 */
public record RuntimeSettings(Clock clock, Executor turnExecutor, Duration idleTimeout, Duration collectionInterval,
        int mailboxCapacity, Duration mailboxFullTimeout, Duration callTimeout, Duration platformCallerSpin,
        Duration shutdownTimeout,
        ActorMetrics metrics, List<ActivationHook> activationHooks, SheddingSettings shedding,
        ActorReminderSource reminders, ActivationGate activationGate) {

    public RuntimeSettings {
        activationHooks = List.copyOf(activationHooks);
    }
}
