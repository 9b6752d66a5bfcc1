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
 * One call on its way to an actor: the message in the mailbox, the context of the turn that serves it and
 * the future its caller waits on.
 * <p>
 * Completing an asynchronous call that already has dependents (continuations of its caller) happens on a
 * fresh thread, never on the turn's thread: a continuation that calls the same actor and waits would otherwise
 * wait for the very thread it runs on.
 */
final class Invocation extends CompletableFuture<Object> implements ActorContext {

    private final ActorIdentity target;

    private final ActorMethod method;

    private final Object @Nullable [] arguments;

    private final long chainId;

    private final @Nullable String requestId;

    private final Map<String, String> metadata;

    long arrivedNanos;

    @Nullable Invocation next;

    private volatile @Nullable ScheduledFuture<?> timeout;

    private Invocation(ActorIdentity target, ActorMethod method, Object @Nullable [] arguments, long chainId,
            @Nullable String requestId, Map<String, String> metadata) {
        this.target = target;
        this.method = method;
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
        return new Invocation(target, method, arguments, chainId, requestId, metadata);
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

    ActorMethod method() {
        return this.method;
    }

    Object @Nullable [] arguments() {
        return this.arguments;
    }

    void timeout(ScheduledFuture<?> scheduled) {
        this.timeout = scheduled;
        if (isDone()) {
            scheduled.cancel(false);
        }
    }

    /**
     * Completes the call with the turn's outcome.
     */
    void finish(@Nullable Object result, @Nullable Throwable failure, Executor executor) {
        ScheduledFuture<?> scheduled = this.timeout;
        if (scheduled != null) {
            scheduled.cancel(false);
        }
        if (this.method.returnKind() == ReturnKind.ASYNCHRONOUS && getNumberOfDependents() > 0) {
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
        return "Invocation " + this.target + "." + this.method.name() + "()";
    }
}
