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

    private final ActivationCatalog catalog;

    private final RuntimeSettings settings;

    private final ScheduledExecutorService scheduler;

    private final long callTimeoutNanos;

    private final long mailboxFullTimeoutNanos;

    public CallDispatcher(ActivationCatalog catalog, ScheduledExecutorService scheduler) {
        this.catalog = catalog;
        this.settings = catalog.settings();
        this.scheduler = scheduler;
        this.callTimeoutNanos = this.settings.callTimeout().toNanos();
        this.mailboxFullTimeoutNanos = this.settings.mailboxFullTimeout().toNanos();
    }

    @Nullable Object call(ActorIdentity target, ActorMethod method, Object @Nullable [] arguments) throws Throwable {
        Invocation invocation = Invocation.create(target, method, arguments);
        deliver(invocation);
        return switch (method.returnKind()) {
            case ONE_WAY -> null;
            case ASYNCHRONOUS -> {
                armTimeout(invocation);
                yield invocation;
            }
            case SYNCHRONOUS -> await(invocation);
        };
    }

    private void deliver(Invocation invocation) {
        long started = 0;
        boolean waited = false;
        while (true) {
            Activation activation = this.catalog.activationFor(invocation.target());
            int outcome = activation.offer(invocation, false);
            if (outcome == Activation.ACCEPTED) {
                this.catalog.delivered(activation);
                return;
            }
            if (outcome == Activation.FULL) {
                long now = System.nanoTime();
                if (!waited) {
                    waited = true;
                    started = now;
                }
                long remaining = this.mailboxFullTimeoutNanos - (now - started);
                if (remaining <= 0 || !awaitRoom(activation, invocation, remaining)) {
                    long waitedNanos = System.nanoTime() - started;
                    invocation.method().metrics().record(CallOutcome.REJECTED, waitedNanos);
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

    private @Nullable Object await(Invocation invocation) throws Throwable {
        try {
            return invocation.get(this.callTimeoutNanos, TimeUnit.NANOSECONDS);
        }
        catch (ExecutionException ex) {
            throw ex.getCause();
        }
        catch (TimeoutException ex) {
            ActorCallTimeoutException timeout = timeoutOf(invocation);
            if (invocation.completeExceptionally(timeout)) {
                throw timeout;
            }
            return await(invocation);
        }
        catch (InterruptedException ex) {
            invocation.cancel(false);
            Thread.currentThread().interrupt();
            throw new ActorException("Interrupted while waiting for " + invocation.target() + "."
                    + invocation.method().name() + "()", ex);
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
        return new ActorCallTimeoutException(invocation.target().toString(), invocation.method().name(),
                this.settings.callTimeout());
    }
}
