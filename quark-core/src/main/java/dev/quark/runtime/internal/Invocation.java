package dev.quark.runtime.internal;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;

import dev.quark.actor.ActorCallExpiredException;
import dev.quark.actor.ActorContext;
import dev.quark.actor.RequestContext;
import dev.quark.runtime.CallContextPropagator;
import dev.quark.runtime.ActorAddress;
import org.jspecify.annotations.Nullable;

/**
 * One message on its way to an actor and, once it runs, its turn: a contract method call (with the future
 * its caller waits on) or a {@link SystemTask} such as a timer tick.
 * <p>
 * Completing an asynchronous call that already has dependents (continuations of its caller), or any call
 * whose outcome an outgoing filter or a transport continues, happens on a fresh thread, never on the turn's
 * thread: a continuation that calls the same actor and waits would otherwise wait for the very thread it
 * runs on.
 * <p>
 * The volatile fields describe where the message and its turn stand, for the deadlock detector: the
 * activation it was delivered to, the activation running its turn, and the nested call its turn waits for.
 * <p>
 * A call carries the {@link ActorAddress} every silo knows and, when the actor's type is hosted here, the
 * local {@link ActorIdentity}; a call routed to another silo has no local identity. Its deadline is wall-clock
 * time (epoch milliseconds of the runtime's clock), the only time that means the same on every silo.
 * <p>
 * An invocation granted an idle activation is also the task that starts draining it ({@link #run()}), so
 * that a busy period costs no extra task object.
 * <p>
 * Only calls whose caller is given a future that times out (asynchronous methods, calls without waiting) carry
 * the links of the call timeouts: they are {@link TimedInvocation}s; one-way and blocking calls, timer ticks
 * and inbound calls are 24 bytes smaller without them.
 */
sealed class Invocation extends CompletableFuture<Object> implements ActorContext, Runnable permits TimedInvocation {

    /** The deadline of system turns: they never expire. */
    private static final long NO_DEADLINE = Long.MAX_VALUE;

    private final @Nullable ActorIdentity target;

    private final @Nullable ActorAddress address;

    private final long deadlineMillis;

    private final @Nullable ActorMethod method;

    private final @Nullable SystemTask task;

    private final Object @Nullable [] arguments;

    private final long chainId;

    private final @Nullable String requestId;

    /**
     * Immutable. Replaced only by an outgoing filter that proceeds with other metadata, on the caller's thread
     * before the invocation is routed (routing hands it over with a happens-before edge).
     */
    private Map<String, String> metadata;

    long arrivedNanos;

    /** Link in a mailbox queue, or in the resumer queue while the turn waits for the activation. */
    @Nullable Invocation next;

    /** Link in the activation's list of turns in progress. */
    @Nullable Invocation nextActive;

    /** Set while a suspended turn waits to get its activation back. */
    @Nullable CompletableFuture<Void> resumeSignal;

    volatile @Nullable Activation deliveredTo;

    volatile @Nullable Activation servedBy;

    volatile @Nullable Invocation awaiting;

    /** The silo a call routed to another silo was sent to, for the deadlock detector; {@code null} otherwise. */
    volatile @Nullable String sentTo;

    /** What the turn returned, kept until the activation is released. Owner thread only. */
    @Nullable Object result;

    /** What the turn threw, kept until the activation is released. Owner thread only. */
    @Nullable Throwable failure;

    /** Set when the deadline passed before the turn started: what the caller is told instead of a result. */
    private @Nullable ActorCallExpiredException expired;

    /**
     * Whether code other than a blocked caller may depend on the outcome (an outgoing filter's continuation,
     * a transport's reply callback), so that completing it must not run that code on the turn's thread. Set
     * before the invocation is delivered.
     */
    boolean completesOffTurn;

    /**
     * How many times a cluster router routed this call again before it entered here (see
     * {@link dev.quark.runtime.routing.InboundCall#reroutes()}).
     */
    int reroutes;

    /**
     * Whether this call is the retry of an idempotent call that a cluster router delivered here (see
     * {@link dev.quark.runtime.routing.InboundCall#retried()}).
     */
    boolean retried;

    /** Whether this call waited in a mailbox here and was then sent to the silo its activation moved to. */
    boolean relocated;

    /**
     * Whether the activation gate refused the activation this call waited for, so that it ran nowhere; set before the
     * call is failed, read once it is ({@link InboundEntry#refusedByGate}).
     */
    boolean refusedByGate;

    Invocation(@Nullable ActorIdentity target, @Nullable ActorAddress address, @Nullable ActorMethod method,
            @Nullable SystemTask task, Object @Nullable [] arguments, long chainId, @Nullable String requestId,
            Map<String, String> metadata, long deadlineMillis) {
        this.target = target;
        this.address = address;
        this.deadlineMillis = deadlineMillis;
        this.method = method;
        this.task = task;
        this.arguments = arguments;
        this.chainId = chainId;
        this.requestId = requestId;
        this.metadata = metadata;
    }

    /**
     * Creates the invocation of a call made on the current thread: inside a turn it continues that turn's
     * call chain and keeps its deadline when that one comes first (a nested call is of no use to a caller
     * that has given up), outside it starts a new one; an open {@link RequestContext} sets request id and
     * metadata, and the runtime's context propagators, when it has some, have the last word on the metadata,
     * in order, each given an immutable copy of what the one before it returned.
     */
    static Invocation create(ActorAddress address, @Nullable ActorIdentity target, ActorMethod method,
            Object @Nullable [] arguments, long deadlineMillis, boolean timed,
            CallContextPropagator[] propagators) {
        Invocation caller = CurrentTurn.get();
        RequestContext request = RequestContext.current();
        long chainId;
        String requestId;
        Map<String, String> metadata;
        long deadline = deadlineMillis;
        if (caller != null) {
            chainId = caller.chainId;
            requestId = caller.requestId;
            metadata = caller.metadata;
            deadline = Math.min(deadline, caller.deadlineMillis);
        }
        else {
            chainId = newChainId();
            requestId = null;
            metadata = Map.of();
        }
        if (request != null) {
            requestId = request.requestId();
            metadata = request.metadata();
        }
        for (CallContextPropagator propagator : propagators) {
            metadata = propagated(propagator, metadata);
        }
        return timed ? new TimedInvocation(target, address, method, null, arguments, chainId, requestId, metadata, deadline)
                : new Invocation(target, address, method, null, arguments, chainId, requestId, metadata, deadline);
    }

    /**
     * Runs one propagator and checks what it returned: not {@code null}, no {@code null} key or value (each
     * failure names the propagator); a changed map is copied, so that the next propagator and the call get an
     * immutable one.
     */
    private static Map<String, String> propagated(CallContextPropagator propagator, Map<String, String> metadata) {
        Map<String, String> propagated = propagator.propagate(metadata);
        if (propagated == null) {
            throw new NullPointerException("Call context propagator " + propagator + " returned null metadata");
        }
        if (propagated == metadata) {
            return metadata;
        }
        for (Map.Entry<String, String> entry : propagated.entrySet()) {
            if (entry.getKey() == null || entry.getValue() == null) {
                throw new NullPointerException("Call context propagator " + propagator + " returned metadata with "
                        + ((entry.getKey() == null) ? "a null key" : "a null value for '" + entry.getKey() + "'"));
            }
        }
        return Map.copyOf(propagated);
    }

    /**
     * Creates the invocation of a call that arrived from another silo, with the context it carried.
     */
    static Invocation inbound(ActorAddress address, ActorIdentity target, ActorMethod method,
            Object[] arguments, long chainId, @Nullable String requestId, Map<String, String> metadata,
            long deadlineMillis) {
        return new Invocation(target, address, method, null, arguments, (chainId != 0) ? chainId : newChainId(),
                requestId, metadata, deadlineMillis);
    }

    /**
     * Creates a system turn; it starts a call chain of its own and never expires.
     */
    static Invocation system(ActorIdentity target, SystemTask task) {
        return new Invocation(target, null, null, task, null, newChainId(), null, Map.of(), NO_DEADLINE);
    }

    static long newChainId() {
        long id;
        do {
            id = ThreadLocalRandom.current().nextLong();
        }
        while (id == 0);
        return id;
    }

    /**
     * Returns the local identity of the called actor; only calls delivered to this silo have one.
     */
    ActorIdentity target() {
        ActorIdentity identity = this.target;
        if (identity == null) {
            throw new IllegalStateException(this + " has no actor hosted on this silo");
        }
        return identity;
    }

    @Nullable ActorIdentity localTarget() {
        return this.target;
    }

    ActorAddress address() {
        ActorAddress known = this.address;
        return (known != null) ? known : target().address();
    }

    long deadlineMillis() {
        return this.deadlineMillis;
    }

    /**
     * Drops a call whose deadline has come before its turn started: the caller will be told by
     * {@link #finish} with an {@link ActorCallExpiredException}. A call is dropped already in its deadline's
     * own millisecond, since its caller may have been told of the timeout within that millisecond (a wait
     * measured in nanoseconds ends there, and so does a request's expiry on the calling silo): a call whose
     * caller was told it timed out never runs afterwards.
     * @return whether the call expired
     */
    boolean expireIfLate(long nowMillis) {
        if (nowMillis < this.deadlineMillis || this.method == null) {
            return false;
        }
        this.expired = new ActorCallExpiredException(address().toString(), name(), nowMillis - this.deadlineMillis);
        return true;
    }

    @Nullable ActorMethod method() {
        return this.method;
    }

    @Nullable SystemTask task() {
        return this.task;
    }

    Object @Nullable [] arguments() {
        return this.arguments;
    }

    String name() {
        return (this.method != null) ? this.method.name() : ((this.task != null) ? this.task.name() : "?");
    }

    boolean isReadOnly() {
        return this.method != null && this.method.isReadOnly();
    }

    boolean isOneWay() {
        return this.method != null && this.method.returnKind() == ReturnKind.ONE_WAY;
    }

    boolean keepsActivationAlive() {
        return this.task == null || this.task.keepsActivationAlive();
    }

    /**
     * Completes the call with the turn's outcome. The activation calls it once the turn has released it,
     * so a caller that wakes up finds the activation free and its activity recorded.
     * <p>
     * Code that depends on the outcome other than a blocked caller (an outgoing filter's continuation, a
     * transport's reply callback, an asynchronous caller's callbacks) runs on a task of {@code elsewhere} when
     * one is given: the calling thread has more to do, such as the actor's next turn, which that code must not
     * hold up (it may even call the actor). Without one it runs on the calling thread, which saves the caller the
     * wake-up of another thread: for a thread with nothing else to run.
     * @param elsewhere where the outcome's dependents run, or {@code null} for this thread
     */
    void finish(@Nullable Object result, @Nullable Throwable failure, @Nullable Executor elsewhere) {
        ActorCallExpiredException late = this.expired;
        if (late != null) {
            finishWith(null, late, elsewhere);
        }
        else {
            finishWith(result, failure, elsewhere);
        }
    }

    private void finishWith(@Nullable Object result, @Nullable Throwable failure, @Nullable Executor elsewhere) {
        callCompleted();
        if (elsewhere != null && this.method != null
                && (this.completesOffTurn || this.method.returnKind() == ReturnKind.ASYNCHRONOUS)
                && getNumberOfDependents() > 0) {
            elsewhere.execute(() -> settle(result, failure));
        }
        else {
            settle(result, failure);
        }
    }

    /** Stops the call's timeout, if it has one armed. */
    void callCompleted() {
    }

    private void settle(@Nullable Object result, @Nullable Throwable failure) {
        if (failure != null) {
            completeExceptionally(failure);
        }
        else {
            complete(result);
        }
    }

    /**
     * Drains the activation this invocation was granted, starting with its turn: the task
     * {@link ActivationCatalog#startDrain} hands the turn executor.
     */
    @Override
    public void run() {
        Activation activation = this.servedBy;
        if (activation == null) {
            throw new IllegalStateException(this + " was started without an activation");
        }
        activation.drain(this);
    }

    @Override
    public String actorId() {
        return (this.target != null) ? this.target.id() : address().id();
    }

    @Override
    public String requestId() {
        return (this.requestId != null) ? this.requestId : Long.toHexString(this.chainId);
    }

    @Override
    public Map<String, String> metadata() {
        return this.metadata;
    }

    /**
     * Replaces the metadata the call carries: an outgoing filter that proceeds with other metadata, before the
     * invocation is routed.
     * @param metadata immutable, checked by the caller
     */
    void carry(Map<String, String> metadata) {
        this.metadata = metadata;
    }

    @Override
    public long callChainId() {
        return this.chainId;
    }

    @Override
    public String toString() {
        return "Invocation " + ((this.target != null) ? this.target : this.address) + "." + name() + "()";
    }
}
