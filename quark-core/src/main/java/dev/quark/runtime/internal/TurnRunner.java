package dev.quark.runtime.internal;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import dev.quark.actor.ActorCallTimeoutException;
import dev.quark.runtime.CallOutcome;
import org.jspecify.annotations.Nullable;

/**
 * Runs turns on the thread that owns an activation: the actor's method (through the incoming filters, the
 * metrics among them) or system task, the wait for an asynchronous method's stage, and the completion of
 * the call; a call whose deadline has passed is dropped instead; then whatever the activation grants
 * next, until nothing more may run.
 */
final class TurnRunner {

    private TurnRunner() {
    }

    /**
     * Runs what the activation was granted for, starting with the given message, until nothing more may
     * run. Called on a fresh thread that owns the activation.
     * @param endsTask whether the calling thread's task ends when this returns (a task of the turn executor), so
     * that the last turn's dependents may run on it ({@link #finish}); on the ready-queue scheduler they never do,
     * since work this thread handed its runner's slot would wait behind them
     */
    static void drain(Activation activation, Object first, boolean endsTask) {
        Object next = first;
        Executor executor = activation.catalog().settings().turnExecutor();
        ReadyQueueScheduler scheduler = (executor instanceof ReadyQueueScheduler ready) ? ready : null;
        boolean dependentsHere = endsTask && scheduler == null;
        int bound = (scheduler != null) ? scheduler.turnsPerScheduling() : Integer.MAX_VALUE;
        boolean sliced = scheduler != null && scheduler.timeSliceNanos() != Long.MAX_VALUE;
        long sliceStart = sliced ? System.nanoTime() : 0;
        int turns = 0;
        while (next != null) {
            if (scheduler != null && turns > 0 && (turns == bound
                    || (sliced && scheduler.hasQueuedWork()
                            && System.nanoTime() - sliceStart >= scheduler.timeSliceNanos()))) {
                // The fairness bound of a scheduler of ready activations (turns, or time while other work is
                // queued): the activation, still owned by the granted turn, goes to the end of its queue.
                scheduler.requeue(activation.catalog().drainTask(activation, next));
                return;
            }
            turns++;
            if (next == TurnAdmission.LIFECYCLE) {
                next = InstanceLifecycle.runRequested(activation);
            }
            else {
                Invocation invocation = (Invocation) next;
                if (invocation.resumeSignal != null) {
                    wake(invocation);
                    return;
                }
                Object instance = activation.instance();
                if (instance == null) {
                    if (!InstanceLifecycle.admit(activation, invocation)) {
                        return;
                    }
                    instance = InstanceLifecycle.activate(activation, invocation);
                    if (instance == null) {
                        return;
                    }
                }
                run(activation, invocation, instance);
                next = finish(activation, invocation, dependentsHere);
            }
        }
    }

    /**
     * Runs a turn; its outcome stays on the invocation until {@link #finish} completes it.
     */
    private static void run(Activation activation, Invocation invocation, Object instance) {
        ActorMethod method = invocation.method();
        IncomingFilters filters = activation.catalog().incomingFilters();
        if (invocation.isDone() || invocation.expireIfLate(activation.catalog().settings().clock().millis())) {
            filters.notRun(invocation, CallOutcome.EXPIRED, null);
            return;
        }
        Object result = null;
        Throwable failure = null;
        CurrentTurn.enter(invocation);
        try {
            SystemTask task = invocation.task();
            if (task != null) {
                task.run(instance);
            }
            else if (method != null) {
                result = filters.invoke(activation, instance, invocation, method);
            }
        }
        catch (Throwable ex) {
            failure = ex;
        }
        finally {
            CurrentTurn.exit();
        }
        if (failure != null && (invocation.isOneWay() || invocation.task() != null)) {
            Activation.logger.warn("{} {}.{}() failed", (invocation.task() != null) ? "System turn" : "One-way call",
                    activation.identity, invocation.name(), failure);
        }
        if (failure != null && method != null) {
            failure = ReminderTurns.failureOf(activation, method, failure);
        }
        invocation.result = result;
        invocation.failure = failure;
    }

    /**
     * Invokes a contract method on the instance: the end of the incoming filter chain.
     */
    static @Nullable Object invokeMethod(Activation activation, Object instance, Invocation invocation,
            ActorMethod method) throws Throwable {
        Object result = method.invoke(instance, invocation.arguments());
        return (method.returnKind() == ReturnKind.ASYNCHRONOUS) ? awaitStage(activation, invocation, method, result)
                : result;
    }

    /**
     * An asynchronous method's turn lasts until the stage it returned completes, so that the next turn never
     * overlaps work the method started; the turn is suspended meanwhile, so calls back into the actor get in.
     * A stage that never completes ends the turn after the call timeout.
     */
    private static @Nullable Object awaitStage(Activation activation, Invocation turn, ActorMethod method,
            @Nullable Object returned) throws Throwable {
        if (returned == null) {
            throw new NullPointerException(method + " returned null instead of a CompletionStage");
        }
        CompletableFuture<?> stage = ((CompletionStage<?>) returned).toCompletableFuture();
        if (stage.isDone()) {
            return join(stage);
        }
        boolean suspended = activation.suspend(turn);
        boolean announced = ReadyQueueScheduler.blockingBegins();
        try {
            return stage.get(activation.catalog().settings().callTimeout().toNanos(), TimeUnit.NANOSECONDS);
        }
        catch (ExecutionException ex) {
            throw (ex.getCause() != null) ? ex.getCause() : ex;
        }
        catch (TimeoutException ex) {
            throw new ActorCallTimeoutException(activation.identity.toString(), method.name(),
                    activation.catalog().settings().callTimeout());
        }
        finally {
            ReadyQueueScheduler.blockingEnds(announced);
            if (suspended) {
                activation.resume(turn);
            }
        }
    }

    private static @Nullable Object join(CompletableFuture<?> stage) throws Throwable {
        try {
            return stage.join();
        }
        catch (CompletionException ex) {
            throw (ex.getCause() != null) ? ex.getCause() : ex;
        }
    }

    /**
     * Ends a turn: records activity, lets supervision decide about a failure, frees the activation, takes
     * what runs next, and only then completes the call ({@link #complete}), so that its caller sees all of that
     * done.
     * @param dependentsHere whether what depends on the call's outcome may run on this thread once the actor has
     * nothing more for it
     * @return what this thread runs next, or {@code null} when it is done
     */
    private static @Nullable Object finish(Activation activation, Invocation invocation, boolean dependentsHere) {
        if (invocation.keepsActivationAlive()) {
            activation.touch();
        }
        Throwable failure = invocation.failure;
        Object result = invocation.result;
        invocation.failure = null;
        invocation.result = null;
        if (failure != null) {
            activation.catalog().supervision().turnFailed(activation, failure);
        }
        Object next = activation.endTurn(invocation);
        // With nothing more to run, this thread may run what depends on the call's outcome (Invocation.finish),
        // unless the turn left it interrupted, which that code must not inherit.
        complete(activation, invocation, result, failure,
                next != null || !dependentsHere || Thread.currentThread().isInterrupted());
        if (next instanceof Invocation granted && granted.resumeSignal != null) {
            wake(granted);
            return null;
        }
        return next;
    }

    /**
     * Lets a suspended turn that was granted the activation back go on, on its own thread.
     */
    static void wake(Invocation resumer) {
        CompletableFuture<Void> signal = resumer.resumeSignal;
        resumer.resumeSignal = null;
        if (signal != null) {
            signal.complete(null);
        }
    }

    /**
     * Fails a call that its activation took but never ran (the activation failed or was refused), telling the
     * incoming filters (the metrics among them) and logging it like a failed turn ({@link #complete}).
     */
    static void fail(Activation activation, Invocation invocation, Throwable failure) {
        activation.catalog().incomingFilters().notRun(invocation, CallOutcome.FAILURE, failure);
        if (invocation.isOneWay()) {
            Activation.logger.warn("One-way call {}.{}() failed", activation.identity, invocation.name(), failure);
        }
        complete(activation, invocation, null, failure, true);
    }

    /**
     * Completes a call its activation took. A one-way call is done whatever its turn or its activation threw: that
     * was logged ({@link #run}, {@link #fail}) and is the runtime's, not its sender's (a silo that delivered it for another would otherwise
     * report it as not delivered). One that expired in the mailbox still fails ({@link Invocation#finish}): nothing
     * else reports it.
     * @param dependentsElsewhere whether what depends on the outcome must run on a task of the turn executor, not on
     * this thread ({@link Invocation#finish}): this thread runs more afterwards, or may not run them ({@link #finish})
     */
    private static void complete(Activation activation, Invocation invocation, @Nullable Object result,
            @Nullable Throwable failure, boolean dependentsElsewhere) {
        invocation.finish(result, invocation.isOneWay() ? null : failure,
                dependentsElsewhere ? activation.catalog().settings().turnExecutor() : null);
    }

    static void failAll(Activation activation, @Nullable Invocation first, Throwable failure) {
        for (Invocation invocation = first; invocation != null; invocation = InvocationQueue.unlink(invocation)) {
            fail(activation, invocation, failure);
        }
    }
}
