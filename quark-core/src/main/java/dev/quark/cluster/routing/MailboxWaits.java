package dev.quark.cluster.routing;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

import dev.quark.actor.MailboxFullException;
import dev.quark.runtime.ActorAddress;
import dev.quark.runtime.routing.InboundCall;
import dev.quark.runtime.routing.InboundCalls;

import org.jspecify.annotations.Nullable;

/**
 * Delivers the calls received from other silos without ever blocking the transport's receiving thread: a call
 * whose actor has room in its mailbox goes in at once; one whose actor's mailbox is full waits here, on a
 * thread of its own per actor, for room, up to the runtime's mailbox-full timeout, then fails with a
 * {@link MailboxFullException} that goes back to its caller, as a local caller's would. The calls behind it
 * for other actors flow on; those for the same actor queue behind it, so that the calls of one sender reach an
 * actor in the order sent. At most the runtime's configured {@link InboundCalls#mailboxCapacity() mailbox
 * capacity} of calls wait per actor; more fail at once.
 * <p>
 * When a waiting call fails for want of room, the calls queued behind it for the same actor fail with it: the
 * mailbox stayed full for the whole timeout while they waited.
 */
final class MailboxWaits {

    private final Executor executor;

    /** Guarded by this: the calls waiting for room, per actor, the head being delivered. */
    private final Map<ActorAddress, ArrayDeque<Waiting>> waiting = new HashMap<>();

    MailboxWaits(Executor executor) {
        this.executor = executor;
    }

    /**
     * Delivers a call without blocking.
     * @param call the call
     * @param inbound where the runtime takes calls
     * @return its outcome, as {@link InboundCalls#deliver} has it
     */
    CompletableFuture<@Nullable Object> deliver(InboundCall call, InboundCalls inbound) {
        ActorAddress address = call.address();
        synchronized (this) {
            ArrayDeque<Waiting> queue = this.waiting.get(address);
            if (queue != null) {
                return enqueue(queue, call, inbound.mailboxCapacity());
            }
        }
        CompletableFuture<@Nullable Object> offered = inbound.offer(call);
        if (offered != null) {
            return offered;
        }
        CompletableFuture<@Nullable Object> outcome;
        boolean start;
        synchronized (this) {
            ArrayDeque<Waiting> queue = this.waiting.get(address);
            start = queue == null;
            if (queue == null) {
                queue = new ArrayDeque<>();
                this.waiting.put(address, queue);
            }
            outcome = enqueue(queue, call, inbound.mailboxCapacity());
        }
        if (start) {
            try {
                this.executor.execute(() -> drain(address, inbound));
            }
            catch (RejectedExecutionException ex) {
                List<Waiting> dropped;
                synchronized (this) {
                    ArrayDeque<Waiting> queue = this.waiting.remove(address);
                    dropped = (queue != null) ? List.copyOf(queue) : List.of();
                }
                dropped.forEach((entry) -> entry.outcome().completeExceptionally(ex));
            }
        }
        return outcome;
    }

    /**
     * Returns how many calls wait for room, for tests.
     */
    synchronized int size() {
        return this.waiting.values().stream().mapToInt(ArrayDeque::size).sum();
    }

    /** Called with the lock held. */
    private CompletableFuture<@Nullable Object> enqueue(ArrayDeque<Waiting> queue, InboundCall call,
            int maxWaitingPerActor) {
        if (queue.size() >= maxWaitingPerActor) {
            return CompletableFuture.failedFuture(new MailboxFullException(call.address().toString(),
                    maxWaitingPerActor, Duration.ZERO));
        }
        Waiting entry = new Waiting(call, new Relayed());
        queue.add(entry);
        return entry.outcome();
    }

    private void drain(ActorAddress address, InboundCalls inbound) {
        while (true) {
            Waiting head;
            synchronized (this) {
                ArrayDeque<Waiting> queue = this.waiting.get(address);
                if (queue == null || queue.isEmpty()) {
                    this.waiting.remove(address);
                    return;
                }
                head = queue.peek();
            }
            CompletableFuture<@Nullable Object> delivered = inbound.deliver(head.call());
            Throwable refused = refusal(delivered);
            List<Waiting> failed = new ArrayList<>();
            synchronized (this) {
                ArrayDeque<Waiting> queue = this.waiting.get(address);
                if (queue != null) {
                    queue.poll();
                    if (refused instanceof MailboxFullException) {
                        failed.addAll(queue);
                        queue.clear();
                    }
                }
            }
            head.outcome().delivered = delivered;
            relay(delivered, head.outcome());
            failed.forEach((entry) -> entry.outcome().completeExceptionally(refused));
        }
    }

    /** Returns why a delivery was refused before the call ran, when it already completed that way. */
    private static @Nullable Throwable refusal(CompletableFuture<@Nullable Object> delivered) {
        if (!delivered.isCompletedExceptionally()) {
            return null;
        }
        try {
            delivered.join();
            return null;
        }
        catch (CompletionException ex) {
            return (ex.getCause() != null) ? ex.getCause() : ex;
        }
        catch (RuntimeException ex) {
            return ex;
        }
    }

    private static void relay(CompletableFuture<@Nullable Object> from, CompletableFuture<@Nullable Object> to) {
        from.whenComplete((result, failure) -> {
            if (failure != null) {
                to.completeExceptionally((failure instanceof CompletionException && failure.getCause() != null)
                        ? failure.getCause() : failure);
            }
            else {
                to.complete(result);
            }
        });
    }

    /**
     * Returns whether a call {@link #deliver} took failed because the runtime's activation gate refused the activation
     * it waited for ({@link InboundCalls#refusedByGate}), also when it waited here for room first.
     * @param outcome what {@link #deliver} returned, completed exceptionally
     */
    static boolean refusedByGate(CompletableFuture<?> outcome, InboundCalls inbound) {
        CompletableFuture<?> delivered = (outcome instanceof Relayed relayed) ? relayed.delivered : outcome;
        return delivered != null && inbound.refusedByGate(delivered);
    }

    private record Waiting(InboundCall call, Relayed outcome) {
    }

    /** The outcome of a call that waited for room: the runtime's once the call is delivered. */
    private static final class Relayed extends CompletableFuture<@Nullable Object> {

        /** What the runtime returned for the call; set before this completes from it. */
        volatile @Nullable CompletableFuture<@Nullable Object> delivered;
    }
}
