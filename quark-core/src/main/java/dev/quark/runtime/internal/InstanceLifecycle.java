package dev.quark.runtime.internal;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

import dev.quark.actor.AbstractActor;
import dev.quark.actor.ActivationException;
import dev.quark.actor.DeactivationReason;
import dev.quark.runtime.ActivationHook;
import dev.quark.runtime.ActorInstance;
import dev.quark.runtime.RuntimeScheduler;
import dev.quark.runtime.routing.ActivationGate;
import dev.quark.runtime.routing.ActorLocation;
import org.jspecify.annotations.Nullable;

/**
 * The lifecycle moves of an activation that run user code, on the thread that owns the activation:
 * activation (the instance, the activation hooks, {@code onActivate()}), its failure and the restart after a
 * backoff, a supervisor's restart, and deactivation (children, {@code onDeactivate(reason)}, the hooks, the
 * instance's destruction) with the hand-over of waiting messages. The activation moves its
 * {@link ActivationLifecycle} state under its lock; this does the work in between, outside it.
 */
final class InstanceLifecycle {

    private InstanceLifecycle() {
    }

    /**
     * Asks the {@link ActivationGate} whether a new activation may create its instance here. When the gate
     * places the actor on another silo or refuses it, the activation ends without an instance: the trigger and
     * the calls waiting behind it go to that silo, or fail with the gate's exception.
     * @return whether the activation goes on
     */
    static boolean admit(Activation activation, Invocation trigger) {
        ActivationGate gate = activation.catalog().settings().activationGate();
        if (gate == ActivationGate.OPEN) {
            return true;
        }
        ActorLocation location = null;
        RuntimeException refusal = null;
        GateWaits waits = activation.catalog().gateWaits();
        try {
            waits.deciding(activation, trigger.callChainId(), gate);
            location = gate.admit(activation.identity.address(), trigger.callChainId());
            if (location.isLocal()) {
                return true;
            }
        }
        catch (RuntimeException ex) {
            refusal = ex;
        }
        finally {
            synchronized (activation) {
                waits.decided(activation);
            }
        }
        Invocation waiting;
        Runnable settle = null;
        synchronized (activation) {
            TurnAdmission turns = activation.turns();
            turns.end(trigger);
            activation.state = activation.state.moveTo(ActivationLifecycle.DEACTIVATED);
            turns.release();
            Mailbox mailbox = turns.existingMailbox();
            waiting = (mailbox != null) ? mailbox.takeAll() : null;
            if (refusal == null && location != null && location.callChainOnly()) {
                ChainSplit split = ChainSplit.of(waiting, trigger.callChainId());
                waiting = split.sameChain;
                settle = activation.catalog().replaceEnded(activation, split.others);
            }
            else {
                activation.catalog().remove(activation);
            }
            activation.endedNow();
        }
        if (settle != null) {
            settle.run();
        }
        String silo = (location != null) ? location.siloId() : null;
        if (refusal != null || silo == null) {
            RuntimeException failure = (refusal != null) ? refusal
                    : new IllegalStateException("The activation gate placed " + activation.identity + " nowhere");
            Activation.logger.debug("Activation of {} refused", activation.identity, failure);
            trigger.refusedByGate = true;
            for (Invocation invocation = waiting; invocation != null; invocation = invocation.next) {
                invocation.refusedByGate = true;
            }
            TurnRunner.fail(activation, trigger, failure);
            TurnRunner.failAll(activation, waiting, failure);
            return false;
        }
        Activation.logger.debug((location != null && location.callChainOnly())
                ? "A turn of {} on silo {} serves the call chain of the calls back into it: they go there"
                : "{} lives on silo {}: its calls go there", activation.identity, silo);
        List<Invocation> relocated = new ArrayList<>();
        relocated.add(trigger);
        for (Invocation invocation = waiting; invocation != null; ) {
            Invocation next = InvocationQueue.unlink(invocation);
            relocated.add(invocation);
            invocation = next;
        }
        activation.catalog().relocate(silo, relocated);
        return false;
    }

    /**
     * The calls that waited behind the trigger of an activation the gate sent to another silo for the trigger's call
     * chain only ({@link ActorLocation#callChainOnly()}), split in order: those of that chain go with the trigger,
     * the others start the activation here again.
     */
    private record ChainSplit(@Nullable Invocation sameChain, @Nullable Invocation others) {

        static ChainSplit of(@Nullable Invocation waiting, long chain) {
            if (waiting == null) {
                return new ChainSplit(null, null);
            }
            InvocationQueue queue = new InvocationQueue();
            queue.addAll(waiting);
            Invocation sameChain = queue.takeChain(chain);
            return new ChainSplit(sameChain, queue.takeAll());
        }
    }

    /**
     * Creates and prepares a new instance. The trigger, when there is one, provides the context.
     * @return the instance, ready; {@code null} when activation failed and the failure has been handled
     */
    static @Nullable Object activate(Activation activation, @Nullable Invocation trigger) {
        if (trigger != null) {
            CurrentTurn.enter(trigger);
        }
        Object created;
        try {
            created = createInstance(activation);
        }
        catch (Throwable ex) {
            activation.install(null);
            activationFailed(activation, trigger, ex);
            return null;
        }
        finally {
            if (trigger != null) {
                CurrentTurn.exit();
            }
        }
        synchronized (activation) {
            activation.state = activation.state.moveTo(ActivationLifecycle.ACTIVE);
        }
        activation.identity.type().activationCounter().increment();
        activation.touch();
        return created;
    }

    private static Object createInstance(Activation activation) throws Throwable {
        ActorType type = activation.identity.type();
        Object created = null;
        int hooksRun = 0;
        try {
            created = type.newInstance();
            if (created instanceof AbstractActor actor) {
                ActorAccess.hooks().attach(actor, activation);
            }
            activation.install(created);
            List<ActivationHook> hooks = activation.catalog().settings().activationHooks();
            if (!hooks.isEmpty()) {
                ActorInstance view = new ActorInstance(type, activation.identity.id(), created);
                for (ActivationHook hook : hooks) {
                    hook.beforeActivate(view);
                    hooksRun++;
                }
            }
            if (created instanceof AbstractActor actor) {
                ActorAccess.hooks().activate(actor);
            }
            return created;
        }
        catch (Throwable ex) {
            if (created != null) {
                activation.disposeTimers();
                activation.catalog().supervision().deactivateChildren(activation, DeactivationReason.FAILURE);
                runAfterDeactivate(activation, created, hooksRun, DeactivationReason.FAILURE);
                destroyQuietly(activation, created);
            }
            throw ex;
        }
    }

    private static void activationFailed(Activation activation, @Nullable Invocation trigger, Throwable cause) {
        ActivationException failure = new ActivationException(activation.identity.toString(), cause);
        Activation.logger.warn("Activation of {} failed", activation.identity, cause);
        Duration restartDelay = activation.catalog().supervision().activationFailed(activation, cause);
        // The backoff counts from the decision, not from the end of what follows it.
        Instant restartAt = (restartDelay != null)
                ? activation.catalog().settings().clock().instant().plus(restartDelay) : null;
        if (restartDelay == null) {
            // Before the catalog forgets the activation: until then no other activation of the actor starts
            // here, so what the gate removes (the directory entry) is this activation's and no newer one's.
            releaseAdmission(activation);
        }
        Invocation waiting = null;
        synchronized (activation) {
            TurnAdmission turns = activation.turns();
            if (trigger != null) {
                turns.end(trigger);
            }
            if (restartDelay != null) {
                activation.state = activation.state.moveTo(ActivationLifecycle.RESTARTING);
                turns.ownForLifecycle();
            }
            else {
                activation.state = activation.state.moveTo(ActivationLifecycle.DEACTIVATED);
                turns.release();
                Mailbox mailbox = turns.existingMailbox();
                waiting = (mailbox != null) ? mailbox.takeAll() : null;
                activation.catalog().remove(activation);
                activation.endedNow();
            }
        }
        if (restartAt != null) {
            scheduleReactivation(activation, restartAt);
        }
        if (trigger != null) {
            TurnRunner.fail(activation, trigger, failure);
        }
        TurnRunner.failAll(activation, waiting, failure);
    }

    /**
     * Tells the activation gate that an activation it let start ended without running, so that what it
     * recorded for it goes (a directory entry in a cluster).
     */
    private static void releaseAdmission(Activation activation) {
        ActivationGate gate = activation.catalog().settings().activationGate();
        if (gate == ActivationGate.OPEN) {
            return;
        }
        try {
            gate.activationFailed(activation.identity.address());
        }
        catch (RuntimeException ex) {
            Activation.logger.warn("The activation gate failed to release the failed activation of {}",
                    activation.identity, ex);
        }
    }

    private static void scheduleReactivation(Activation activation, Instant at) {
        ActivationCatalog catalog = activation.catalog();
        RuntimeScheduler.Cancellable task = catalog.scheduler()
            .schedule(at, () -> {
                CompletableFuture<Void> done = new CompletableFuture<>();
                catalog.settings().turnExecutor().execute(() -> {
                    try {
                        reactivate(activation);
                    }
                    finally {
                        done.complete(null);
                    }
                });
                return done;
            });
        synchronized (activation) {
            if (activation.state == ActivationLifecycle.RESTARTING) {
                activation.change().restartScheduled(task);
                return;
            }
        }
        task.cancel();
    }

    /**
     * Activates a fresh instance after a restart's backoff and runs what waited meanwhile.
     */
    private static void reactivate(Activation activation) {
        synchronized (activation) {
            if (activation.state != ActivationLifecycle.RESTARTING) {
                return;
            }
            activation.change().restartScheduled(null);
            activation.state = activation.state.moveTo(ActivationLifecycle.ACTIVATING);
        }
        if (activate(activation, null) == null) {
            return;
        }
        Object next = releaseFromLifecycle(activation);
        if (next != null) {
            TurnRunner.drain(activation, next, false);
        }
    }

    /**
     * Carries out the requested lifecycle change; the activation is owned for it and no turn is in progress.
     * @return what to run next, or {@code null}
     */
    static @Nullable Object runRequested(Activation activation) {
        LifecycleChange.Kind kind;
        DeactivationReason reason = DeactivationReason.EXPLICIT;
        Duration delay = Duration.ZERO;
        Instant restartAt = null;
        synchronized (activation) {
            LifecycleChange change = activation.change();
            kind = change.requested();
            if (kind != null) {
                reason = change.reason();
                delay = change.restartDelay();
                restartAt = change.restartAt();
                change.clearRequest();
            }
            if (kind == LifecycleChange.Kind.DEACTIVATE) {
                activation.state = activation.state.moveTo(ActivationLifecycle.DEACTIVATING);
            }
            else if (kind == null && activation.state != ActivationLifecycle.DEACTIVATING) {
                activation.turns().release();
                return activation.grantNext();
            }
        }
        if (kind == LifecycleChange.Kind.RESTART) {
            return restart(activation, delay, restartAt);
        }
        deactivate(activation, reason);
        return null;
    }

    private static @Nullable Object releaseFromLifecycle(Activation activation) {
        synchronized (activation) {
            activation.turns().release();
            return activation.grantNext();
        }
    }

    /**
     * Restarts an active activation with a fresh instance, at once or after a delay.
     * @param restartAt when the delay ends, counted from the decision; {@code null} without a delay
     * @return what to run next, or {@code null}
     */
    private static @Nullable Object restart(Activation activation, Duration delay, @Nullable Instant restartAt) {
        Object current = activation.instance();
        Activation.logger.debug("Restarting {} after {}", activation.identity, delay);
        if (current != null) {
            dropInstance(activation, current, DeactivationReason.FAILURE);
        }
        synchronized (activation) {
            activation.state = activation.state.moveTo(ActivationLifecycle.RESTARTING);
            if (delay.isZero()) {
                activation.change().restartScheduled(null);
                activation.state = activation.state.moveTo(ActivationLifecycle.ACTIVATING);
            }
        }
        if (!delay.isZero()) {
            scheduleReactivation(activation, Objects.requireNonNull(restartAt, "a delayed restart has its instant"));
            return null;
        }
        if (activate(activation, null) == null) {
            return null;
        }
        return releaseFromLifecycle(activation);
    }

    /**
     * Ends the activation: its instance first, then hands the messages that arrived meanwhile to the
     * catalog. Runs on the thread that owns the activation.
     */
    static void deactivate(Activation activation, DeactivationReason reason) {
        Object current = activation.instance();
        if (current != null) {
            dropInstance(activation, current, reason);
        }
        else {
            activation.disposeTimers();
        }
        Activation.logger.debug("Deactivated {} ({})", activation.identity, reason);
        Runnable settle;
        synchronized (activation) {
            activation.state = activation.state.moveTo(ActivationLifecycle.DEACTIVATED);
            TurnAdmission turns = activation.turns();
            turns.release();
            Mailbox mailbox = turns.existingMailbox();
            Invocation waiting = (mailbox != null) ? mailbox.takeAll() : null;
            settle = activation.catalog().replaceEnded(activation, waiting);
            activation.endedNow();
        }
        if (settle != null) {
            settle.run();
        }
    }

    /**
     * Ends an instance: timers, children, {@code onDeactivate}, the activation hooks, the instance. Failures
     * are logged; the instance ends regardless.
     */
    private static void dropInstance(Activation activation, Object instance, DeactivationReason reason) {
        activation.disposeTimers();
        activation.catalog().supervision().deactivateChildren(activation, reason);
        if (instance instanceof AbstractActor actor && reason != DeactivationReason.DROPPED) {
            try {
                ActorAccess.hooks().deactivate(actor, reason);
            }
            catch (Throwable ex) {
                Activation.logger.warn("onDeactivate({}) of {} failed; the activation ends regardless", reason,
                        activation.identity, ex);
            }
        }
        runAfterDeactivate(activation, instance, activation.catalog().settings().activationHooks().size(), reason);
        destroyQuietly(activation, instance);
        activation.install(null);
        activation.identity.type().activationCounter().decrement();
    }

    /**
     * Runs {@code afterDeactivate} of the first {@code count} hooks, last first.
     */
    private static void runAfterDeactivate(Activation activation, Object instance, int count,
            DeactivationReason reason) {
        if (count == 0) {
            return;
        }
        List<ActivationHook> hooks = activation.catalog().settings().activationHooks();
        ActorInstance view = new ActorInstance(activation.identity.type(), activation.identity.id(), instance);
        for (int i = count - 1; i >= 0; i--) {
            try {
                hooks.get(i).afterDeactivate(view, reason);
            }
            catch (Throwable ex) {
                Activation.logger.warn("Activation hook {} failed after the deactivation of {}; the deactivation "
                        + "completes regardless", hooks.get(i), activation.identity, ex);
            }
        }
    }

    private static void destroyQuietly(Activation activation, Object instance) {
        try {
            activation.identity.type().destroyInstance(instance);
        }
        catch (Throwable ex) {
            Activation.logger.warn("Disposing of the instance of {} failed", activation.identity, ex);
        }
    }
}
