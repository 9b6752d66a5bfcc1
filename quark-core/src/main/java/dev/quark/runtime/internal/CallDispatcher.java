package dev.quark.runtime.internal;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import dev.quark.actor.ActorCallTimeoutException;
import dev.quark.actor.ActorException;
import dev.quark.runtime.CallContextPropagator;
import dev.quark.runtime.filter.OutgoingCall;
import dev.quark.runtime.filter.OutgoingCallFilter;
import org.jspecify.annotations.Nullable;

/**
 * The caller's side of a call made through a reference: creates the invocation with its context and
 * deadline, passes it through the outgoing filters to the {@link CallRouter}, then waits for the result
 * (synchronous methods), arms the call timeout (asynchronous methods) or returns at once (one-way methods).
 */
public final class CallDispatcher {

    /** How long a nested call waits between two looks for a deadlock. */
    static final long DEADLOCK_CHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(150);

    private final CallRouter router;

    /** Spins for the answer of a blocking call from a platform thread before it parks. */
    private final PlatformCallerSpin spin;

    private final RuntimeSettings settings;

    private final CallTimeouts timeouts;

    private final OutgoingCallFilter[] filters;

    private final Clock clock;

    private final long callTimeoutNanos;

    private final long callTimeoutMillis;

    private final CallContextPropagator[] propagators;

    private final DeadlockProbes probes;

    /**
     * Creates the dispatcher.
     * @param router where invocations go
     * @param settings the runtime's settings
     * @param filters the outgoing filters, outermost first
     * @param propagators what adds the calling thread's context to each call's metadata, in order; none for
     * nothing
     * @param probes what carries the search for deadlocks to other silos
     */
    public CallDispatcher(CallRouter router, RuntimeSettings settings, List<OutgoingCallFilter> filters,
            List<CallContextPropagator> propagators, DeadlockProbes probes) {
        this.probes = probes;
        this.router = router;
        this.settings = settings;
        this.timeouts = new CallTimeouts(settings.callTimeout(), settings.turnExecutor(), "quark-call-timeouts");
        this.filters = filters.toArray(OutgoingCallFilter[]::new);
        this.clock = settings.clock();
        this.callTimeoutNanos = settings.callTimeout().toNanos();
        this.spin = new PlatformCallerSpin(settings.platformCallerSpin());
        this.callTimeoutMillis = settings.callTimeout().toMillis();
        this.propagators = propagators.toArray(CallContextPropagator[]::new);
    }

    @Nullable Object call(ActorReference reference, ActorMethod method, Object @Nullable [] arguments) throws Throwable {
        Invocation invocation = Invocation.create(reference.address(), reference.identity(), method, arguments,
                this.clock.millis() + this.callTimeoutMillis, method.returnKind() == ReturnKind.ASYNCHRONOUS,
                this.propagators);
        Invocation caller = null;
        if (method.returnKind() == ReturnKind.SYNCHRONOUS) {
            caller = CurrentTurn.get();
            Activation callerActivation = (caller != null) ? caller.servedBy : null;
            if (caller != null && callerActivation != null && callerActivation.suspend(caller)) {
                caller.awaiting = invocation;
                try {
                    return awaitNested(caller, invocation, send(invocation, method, reference));
                }
                finally {
                    caller.awaiting = null;
                    callerActivation.resume(caller);
                }
            }
        }
        CompletionStage<?> outcome = send(invocation, method, reference);
        return switch (method.returnKind()) {
            case ONE_WAY -> {
                if (outcome != invocation && outcome != CallRouter.DELIVERED) {
                    rethrowIfFailed(outcome);
                }
                yield null;
            }
            case ASYNCHRONOUS -> {
                CompletableFuture<?> future = (outcome == invocation) ? invocation : outcome.toCompletableFuture();
                if (future == invocation) {
                    armTimeout(invocation);
                }
                else if (!future.isDone()) {
                    armTimeout(invocation, future);
                }
                yield future;
            }
            case SYNCHRONOUS -> awaitAnnounced(invocation, method, outcome, caller == null);
        };
    }

    /**
     * Makes a call without waiting for its turn, whatever the method returns: the call goes through the
     * outgoing filters and the router as any other, and the caller gets a future, timed out after the call
     * timeout like an asynchronous method's. This thread does not wait for room in a full mailbox either: that
     * wait, rare, happens on a task of the turn executor. Without outgoing filters the future is completed on the
     * thread that ends the turn, once the activation is free, as a blocked caller's would be: no thread is started
     * per call, so what depends on the future must be short and must not block (or move to an executor itself).
     * @return a future completed with the method's result, or with what a call through a reference throws
     * @throws IllegalArgumentException when the method is one-way, which has no outcome to wait for
     */
    CompletableFuture<@Nullable Object> callWithoutWaiting(ActorReference reference, ActorMethod method,
            Object @Nullable [] arguments) {
        if (method.returnKind() == ReturnKind.ONE_WAY) {
            throw new IllegalArgumentException("Method " + method.name() + "() is one-way: call it through a reference");
        }
        Invocation invocation;
        CompletionStage<?> outcome;
        try {
            // Made inside the try: a context propagator that throws fails the future, as the contract says.
            invocation = Invocation.create(reference.address(), reference.identity(), method, arguments,
                    this.clock.millis() + this.callTimeoutMillis, true, this.propagators);
            // The reference was made for this call alone (a call by address): nothing to keep an owner in.
            outcome = send(invocation, method, this.settings.turnExecutor(), null);
        }
        catch (RuntimeException ex) {
            return CompletableFuture.failedFuture(ex);
        }
        CompletableFuture<?> future = (outcome == invocation) ? invocation : outcome.toCompletableFuture();
        if (future == invocation) {
            armTimeout(invocation);
        }
        else if (!future.isDone()) {
            armTimeout(invocation, future);
        }
        @SuppressWarnings("unchecked")
        CompletableFuture<@Nullable Object> result = (CompletableFuture<@Nullable Object>) future;
        return result;
    }

    /**
     * Passes an invocation through the outgoing filters to the router.
     * @return the stage the caller's outcome comes from: the invocation itself when there are no filters
     */
    private CompletionStage<?> send(Invocation invocation, ActorMethod method, ActorReference reference) {
        return send(invocation, method, null, reference);
    }

    /**
     * Passes an invocation through the outgoing filters to the router, which waits for room in a full mailbox
     * on this thread, or on a task of {@code waitElsewhere} when given.
     */
    private CompletionStage<?> send(Invocation invocation, ActorMethod method, @Nullable Executor waitElsewhere,
            @Nullable ActorReference reference) {
        if (this.filters.length == 0) {
            this.router.route(invocation, waitElsewhere, reference);
            return invocation;
        }
        invocation.completesOffTurn = true;
        return new Cursor(invocation, method, this.filters, this.router, waitElsewhere, reference).run();
    }

    private static void rethrowIfFailed(CompletionStage<?> outcome) throws Throwable {
        CompletableFuture<?> future = outcome.toCompletableFuture();
        if (future.isCompletedExceptionally()) {
            try {
                future.join();
            }
            catch (CompletionException ex) {
                throw (ex.getCause() != null) ? ex.getCause() : ex;
            }
        }
    }

    /**
     * Waits for a call made from inside a turn, looking for a deadlock each time a slice of the wait passes;
     * a cycle seen twice in a row is broken by failing its victim. A look that reaches calls to other silos
     * probes them there ({@link DeadlockProbes}).
     */
    private @Nullable Object awaitNested(Invocation caller, Invocation invocation, CompletionStage<?> outcome)
            throws Throwable {
        boolean announced = ReadyQueueScheduler.blockingBegins();
        try {
            return awaitNestedAnnounced(caller, invocation, outcome);
        }
        finally {
            ReadyQueueScheduler.blockingEnds(announced);
        }
    }

    private @Nullable Object awaitNestedAnnounced(Invocation caller, Invocation invocation,
            CompletionStage<?> outcome) throws Throwable {
        CompletableFuture<?> future = outcome.toCompletableFuture();
        long deadline = System.nanoTime() + this.callTimeoutNanos;
        Invocation suspect = null;
        DeadlockProbes.Origin origin = null;
        try {
            while (true) {
                long remaining = deadline - System.nanoTime();
                if (remaining <= 0) {
                    return await(invocation, future, 0);
                }
                try {
                    return future.get(Math.min(remaining, DEADLOCK_CHECK_NANOS), TimeUnit.NANOSECONDS);
                }
                catch (ExecutionException ex) {
                    throw ex.getCause();
                }
                catch (TimeoutException ex) {
                    List<DeadlockDetector.Frontier> frontier = this.probes.isEnabled() ? new ArrayList<>() : null;
                    DeadlockDetector.Deadlock deadlock = DeadlockDetector.find(caller, frontier);
                    if (deadlock == null) {
                        suspect = null;
                        if (frontier != null) {
                            origin = this.probes.look(origin, caller, frontier);
                        }
                    }
                    else if (deadlock.victim() == suspect) {
                        if (deadlock.resolve()) {
                            this.settings.metrics().deadlockBroken(false);
                        }
                    }
                    else {
                        suspect = deadlock.victim();
                    }
                }
                catch (InterruptedException ex) {
                    invocation.cancel(false);
                    Thread.currentThread().interrupt();
                    throw new ActorException("Interrupted while waiting for " + invocation.address() + "."
                            + invocation.name() + "()", ex);
                }
            }
        }
        finally {
            this.probes.forget(origin);
        }
    }

    /**
     * Waits for a call, telling a scheduler of ready activations when this thread is one of its runners; a caller
     * outside turns (and runners) may spin for the answer first ({@link PlatformCallerSpin}).
     */
    private @Nullable Object awaitAnnounced(Invocation invocation, ActorMethod method, CompletionStage<?> outcome,
            boolean outsideTurns) throws Throwable {
        boolean announced = ReadyQueueScheduler.blockingBegins();
        try {
            if (outsideTurns && !announced) {
                this.spin.awaitBriefly(outcome.toCompletableFuture(), method.spinBackoff());
            }
            return await(invocation, outcome, this.callTimeoutNanos);
        }
        finally {
            ReadyQueueScheduler.blockingEnds(announced);
        }
    }

    private @Nullable Object await(Invocation invocation, CompletionStage<?> outcome, long timeoutNanos)
            throws Throwable {
        CompletableFuture<?> future = outcome.toCompletableFuture();
        try {
            return future.get(timeoutNanos, TimeUnit.NANOSECONDS);
        }
        catch (ExecutionException ex) {
            throw ex.getCause();
        }
        catch (TimeoutException ex) {
            ActorCallTimeoutException timeout = timeoutOf(invocation);
            boolean timedOut = invocation.completeExceptionally(timeout);
            if (future != invocation) {
                timedOut |= future.completeExceptionally(timeout);
            }
            if (timedOut) {
                throw timeout;
            }
            return await(invocation, future, 0);
        }
        catch (InterruptedException ex) {
            invocation.cancel(false);
            Thread.currentThread().interrupt();
            throw new ActorException("Interrupted while waiting for " + invocation.address() + "."
                    + invocation.name() + "()", ex);
        }
    }

    private void armTimeout(Invocation invocation) {
        this.timeouts.arm((TimedInvocation) invocation);
    }

    /**
     * Arms the call timeout of an asynchronous call whose caller waits on a stage an outgoing filter returned:
     * that stage need not follow the invocation (a filter may compose more work after it), so it times out
     * with it, failing both, and stops the timer when it completes.
     */
    private void armTimeout(Invocation invocation, CompletableFuture<?> filtered) {
        this.timeouts.arm((TimedInvocation) invocation, filtered);
    }

    /**
     * Stops timing out asynchronous calls; the runtime calls it when it closes.
     */
    public void close() {
        this.timeouts.close();
    }

    private ActorCallTimeoutException timeoutOf(Invocation invocation) {
        return new ActorCallTimeoutException(invocation.address().toString(), invocation.name(),
                this.settings.callTimeout());
    }

    /**
     * One call as one outgoing filter sees it: the filter at {@code index} is given this view, and its
     * {@link #proceed()} passes the call to a view of its own for the next filter, or routes it after the last
     * one. A view per filter lets every failure of a {@code proceed} name the filter that made it, and a filter
     * proceed once, whatever the filters inside it did; a chain of one filter allocates one view per call, as
     * before.
     */
    private static final class Cursor extends CallView implements OutgoingCall {

        private final OutgoingCallFilter[] filters;

        private final CallRouter router;

        private final @Nullable Executor waitElsewhere;

        private final @Nullable ActorReference reference;

        private final int index;

        private boolean proceeded;

        Cursor(Invocation invocation, ActorMethod method, OutgoingCallFilter[] filters, CallRouter router,
                @Nullable Executor waitElsewhere, @Nullable ActorReference reference) {
            this(invocation, method, filters, router, waitElsewhere, reference, 0);
        }

        private Cursor(Invocation invocation, ActorMethod method, OutgoingCallFilter[] filters, CallRouter router,
                @Nullable Executor waitElsewhere, @Nullable ActorReference reference, int index) {
            super(invocation, method);
            this.filters = filters;
            this.router = router;
            this.waitElsewhere = waitElsewhere;
            this.reference = reference;
            this.index = index;
        }

        /** Runs this view's filter on the call. */
        CompletionStage<@Nullable Object> run() {
            OutgoingCallFilter filter = this.filters[this.index];
            CompletionStage<@Nullable Object> outcome;
            try {
                outcome = filter.filter(this);
            }
            catch (Throwable ex) {
                throw Cursor.<RuntimeException>sneaky(ex);
            }
            if (outcome == null) {
                throw new NullPointerException("Outgoing call filter " + filter + " returned null for " + this);
            }
            return outcome;
        }

        @Override
        @SuppressWarnings("unchecked")
        public CompletionStage<@Nullable Object> proceed() {
            if (this.proceeded) {
                throw alreadyProceeded();
            }
            this.proceeded = true;
            int next = this.index + 1;
            if (next < this.filters.length) {
                return new Cursor(this.invocation, this.method, this.filters, this.router, this.waitElsewhere,
                        this.reference, next).run();
            }
            this.router.route(this.invocation, this.waitElsewhere, this.reference);
            CompletionStage<?> outcome = (this.method.returnKind() == ReturnKind.ONE_WAY) ? CallRouter.DELIVERED
                    : this.invocation;
            return (CompletionStage<@Nullable Object>) outcome;
        }

        @Override
        public CompletionStage<@Nullable Object> proceed(Map<String, String> metadata) {
            if (this.proceeded) {
                throw alreadyProceeded();
            }
            this.invocation.carry(checked(metadata));
            return proceed();
        }

        private IllegalStateException alreadyProceeded() {
            return new IllegalStateException("proceed() was already called by outgoing call filter "
                    + this.filters[this.index] + " for " + this
                    + ": an outgoing call is sent once; a filter that retries makes a new call");
        }

        /**
         * Checks the metadata this view's filter proceeds with, each failure naming the filter and the key: not
         * {@code null}, no {@code null} key or value.
         */
        private Map<String, String> checked(Map<String, String> metadata) {
            OutgoingCallFilter filter = this.filters[this.index];
            if (metadata == null) {
                throw new NullPointerException("Outgoing call filter " + filter + " proceeded with null metadata for "
                        + this);
            }
            for (Map.Entry<String, String> entry : metadata.entrySet()) {
                if (entry.getKey() == null || entry.getValue() == null) {
                    throw new NullPointerException("Outgoing call filter " + filter + " proceeded with metadata with "
                            + "a null " + ((entry.getKey() == null) ? "key" : "value of key '" + entry.getKey() + "'")
                            + " for " + this);
                }
            }
            return (metadata == this.invocation.metadata()) ? metadata : Map.copyOf(metadata);
        }

        @SuppressWarnings("unchecked")
        private static <T extends Throwable> T sneaky(Throwable failure) throws T {
            throw (T) failure;
        }
    }
}
