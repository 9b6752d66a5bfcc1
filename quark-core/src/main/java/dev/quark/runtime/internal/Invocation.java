package dev.quark.runtime.internal;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;

import dev.quark.actor.ActorContext;
import dev.quark.actor.RequestContext;
import org.jspecify.annotations.Nullable;

/**
 * One message on its way to an actor and, once it runs, its turn: a contract method call (with the future
 * its caller waits on) or a {@link SystemTask} such as a timer tick.
 * <p>
 * Completing an asynchronous call that already has dependents (continuations of its caller) happens on a
 * fresh thread, never on the turn's thread: a continuation that calls the same actor and waits would
 * otherwise wait for the very thread it runs on.
 * <p>
 * The volatile fields describe where the message and its turn stand, for the deadlock detector: the
 * activation it was delivered to, the activation running its turn, and the nested call its turn waits for.
 */
final class Invocation extends CompletableFuture<Object> implements ActorContext {

    private final ActorIdentity target;

    private final @Nullable ActorMethod method;

    private final @Nullable SystemTask task;

    private final Object @Nullable [] arguments;

    private final long chainId;

    private final @Nullable String requestId;

    private final Map<String, String> metadata;

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

    private volatile @Nullable ScheduledFuture<?> timeout;

    /** What the turn returned, kept until the activation is released. Owner thread only. */
    @Nullable Object result;

    /** What the turn threw, kept until the activation is released. Owner thread only. */
    @Nullable Throwable failure;

    private Invocation(ActorIdentity target, @Nullable ActorMethod method, @Nullable SystemTask task,
            Object @Nullable [] arguments, long chainId, @Nullable String requestId, Map<String, String> metadata) {
        this.target = target;
        this.method = method;
        this.task = task;
        this.arguments = arguments;
        this.chainId = chainId;
        this.requestId = requestId;
        this.metadata = metadata;
    }

    /**
     * Creates the invocation of a call made on the current thread: inside a turn it continues that turn's
     * call chain, outside it starts a new one; an open {@link RequestContext} sets request id and metadata.
     */
    static Invocation create(ActorIdentity target, ActorMethod method, Object @Nullable [] arguments) {
        Invocation caller = CurrentTurn.get();
        RequestContext request = RequestContext.current();
        long chainId;
        String requestId;
        Map<String, String> metadata;
        if (caller != null) {
            chainId = caller.chainId;
            requestId = caller.requestId;
            metadata = caller.metadata;
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
        return new Invocation(target, method, null, arguments, chainId, requestId, metadata);
    }

    /**
     * Creates a system turn; it starts a call chain of its own.
     */
    static Invocation system(ActorIdentity target, SystemTask task) {
        return new Invocation(target, null, task, null, newChainId(), null, Map.of());
    }

    private static long newChainId() {
        long id;
        do {
            id = ThreadLocalRandom.current().nextLong();
        }
        while (id == 0);
        return id;
    }

    ActorIdentity target() {
        return this.target;
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

    void timeout(ScheduledFuture<?> scheduled) {
        this.timeout = scheduled;
        if (isDone()) {
            scheduled.cancel(false);
        }
    }

    /**
     * Completes the call with the turn's outcome. The activation calls it once the turn has released it,
     * so a caller that wakes up finds the activation free and its activity recorded.
     */
    void finish(@Nullable Object result, @Nullable Throwable failure, Executor executor) {
        ScheduledFuture<?> scheduled = this.timeout;
        if (scheduled != null) {
            scheduled.cancel(false);
        }
        if (this.method != null && this.method.returnKind() == ReturnKind.ASYNCHRONOUS
                && getNumberOfDependents() > 0) {
            executor.execute(() -> settle(result, failure));
        }
        else {
            settle(result, failure);
        }
    }

    private void settle(@Nullable Object result, @Nullable Throwable failure) {
        if (failure != null) {
            completeExceptionally(failure);
        }
        else {
            complete(result);
        }
    }

    @Override
    public String actorId() {
        return this.target.id();
    }

    @Override
    public String requestId() {
        return (this.requestId != null) ? this.requestId : Long.toHexString(this.chainId);
    }

    @Override
    public Map<String, String> metadata() {
        return this.metadata;
    }

    @Override
    public long callChainId() {
        return this.chainId;
    }

    @Override
    public String toString() {
        return "Invocation " + this.target + "." + name() + "()";
    }
}
