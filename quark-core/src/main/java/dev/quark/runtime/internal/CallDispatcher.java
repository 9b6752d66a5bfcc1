package dev.quark.runtime.internal;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import dev.quark.actor.ActorCallTimeoutException;
import dev.quark.actor.ActorException;
import dev.quark.actor.MailboxFullException;
import dev.quark.runtime.CallOutcome;
import org.jspecify.annotations.Nullable;

/**
 * The caller's side of a call: delivers it to the target's activation, waiting for room when the mailbox
 * is full, then waits for the result (synchronous methods), arms the call timeout (asynchronous methods) or
 * returns at once (one-way methods).
 */
public final class CallDispatcher {

    /** How long a nested call waits between two looks for a deadlock. */
    static final long DEADLOCK_CHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(150);

    private final ActivationCatalog catalog;

    private final RuntimeSettings settings;

    private final ScheduledExecutorService scheduler;

    private final long callTimeoutNanos;

    private final long mailboxFullTimeoutNanos;

    CallDispatcher(ActivationCatalog catalog, ScheduledExecutorService scheduler) {
        this.catalog = catalog;
        this.settings = catalog.settings();
        this.scheduler = scheduler;
        this.callTimeoutNanos = this.settings.callTimeout().toNanos();
        this.mailboxFullTimeoutNanos = this.settings.mailboxFullTimeout().toNanos();
    }

    @Nullable Object call(ActorIdentity target, ActorMethod method, Object @Nullable [] arguments) throws Throwable {
        Invocation invocation = Invocation.create(target, method, arguments);
        if (method.returnKind() == ReturnKind.SYNCHRONOUS) {
            Invocation caller = CurrentTurn.get();
            Activation callerActivation = (caller != null) ? caller.servedBy : null;
            if (caller != null && callerActivation != null && callerActivation.suspend(caller)) {
                caller.awaiting = invocation;
                try {
                    deliver(invocation);
                    return awaitNested(caller, invocation);
                }
                finally {
                    caller.awaiting = null;
                    callerActivation.resume(caller);
                }
            }
        }
        deliver(invocation);
        return switch (method.returnKind()) {
            case ONE_WAY -> null;
            case ASYNCHRONOUS -> {
                armTimeout(invocation);
                yield invocation;
            }
            case SYNCHRONOUS -> await(invocation, this.callTimeoutNanos);
        };
    }

    /**
     * Waits for a call made from inside a turn, looking for a deadlock each time a slice of the wait passes;
     * a cycle seen twice in a row is broken by failing its victim.
     */
    private @Nullable Object awaitNested(Invocation caller, Invocation invocation) throws Throwable {
        long deadline = System.nanoTime() + this.callTimeoutNanos;
        Invocation suspect = null;
        while (true) {
            long remaining = deadline - System.nanoTime();
            if (remaining <= 0) {
                return await(invocation, 0);
            }
            try {
                return invocation.get(Math.min(remaining, DEADLOCK_CHECK_NANOS), TimeUnit.NANOSECONDS);
            }
            catch (ExecutionException ex) {
                throw ex.getCause();
            }
            catch (TimeoutException ex) {
                DeadlockDetector.Deadlock deadlock = DeadlockDetector.find(caller);
                if (deadlock == null) {
                    suspect = null;
                }
                else if (deadlock.victim() == suspect) {
                    deadlock.resolve();
                }
                else {
                    suspect = deadlock.victim();
                }
            }
            catch (InterruptedException ex) {
                invocation.cancel(false);
                Thread.currentThread().interrupt();
                throw new ActorException("Interrupted while waiting for " + invocation.target() + "."
                        + invocation.name() + "()", ex);
            }
        }
    }

    void deliver(Invocation invocation) {
        long started = 0;
        boolean waited = false;
        while (true) {
            Activation activation = this.catalog.activationFor(invocation.target());
            Delivery outcome = activation.offer(invocation, false);
            if (outcome == Delivery.ACCEPTED) {
                this.catalog.delivered(activation);
                return;
            }
            if (outcome == Delivery.FULL) {
                long now = System.nanoTime();
                if (!waited) {
                    waited = true;
                    started = now;
                }
                long remaining = this.mailboxFullTimeoutNanos - (now - started);
                if (remaining <= 0 || !awaitRoom(activation, invocation, remaining)) {
                    long waitedNanos = System.nanoTime() - started;
                    ActorMethod method = invocation.method();
                    if (method != null) {
                        method.metrics().record(CallOutcome.REJECTED, waitedNanos);
                    }
                    throw new MailboxFullException(invocation.target().toString(),
                            this.settings.mailboxCapacity(), Duration.ofNanos(waitedNanos));
                }
            }
        }
    }

    private boolean awaitRoom(Activation activation, Invocation invocation, long nanos) {
        try {
            return activation.awaitRoom(nanos);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new ActorException("Interrupted while waiting for room in the mailbox of " + invocation.target(), ex);
        }
    }

    private @Nullable Object await(Invocation invocation, long timeoutNanos) throws Throwable {
        try {
            return invocation.get(timeoutNanos, TimeUnit.NANOSECONDS);
        }
        catch (ExecutionException ex) {
            throw ex.getCause();
        }
        catch (TimeoutException ex) {
            ActorCallTimeoutException timeout = timeoutOf(invocation);
            if (invocation.completeExceptionally(timeout)) {
                throw timeout;
            }
            return await(invocation, 0);
        }
        catch (InterruptedException ex) {
            invocation.cancel(false);
            Thread.currentThread().interrupt();
            throw new ActorException("Interrupted while waiting for " + invocation.target() + "."
                    + invocation.name() + "()", ex);
        }
    }

    private void armTimeout(Invocation invocation) {
        if (invocation.isDone()) {
            return;
        }
        invocation.timeout(this.scheduler.schedule(
                () -> this.settings.turnExecutor().execute(() -> invocation.completeExceptionally(timeoutOf(invocation))),
                this.callTimeoutNanos, TimeUnit.NANOSECONDS));
    }

    private ActorCallTimeoutException timeoutOf(Invocation invocation) {
        return new ActorCallTimeoutException(invocation.target().toString(), invocation.name(),
                this.settings.callTimeout());
    }
}
