package dev.quark.runtime.internal;

import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.jspecify.annotations.Nullable;

/**
 * The messages waiting for an activation, with its capacity and the callers waiting for room.
 * <p>
 * Two queues: messages in arrival order, and calls back into the actor from a call chain that one of its
 * turns serves, which run before any other message and are accepted even when the mailbox is full (they
 * count as waiting all the same). Callers that found the mailbox full wait for room;
 * they are let in once a quarter of it is free, not at the first free slot: a caller woken for one slot
 * would fill it and wait again, paying a park and an unpark per message while the mailbox stays full.
 * <p>
 * An activation creates its mailbox when a message first has to wait and drops it once the mailbox is
 * empty and the activation idle, so an idle activation carries none. Guarded by the activation's lock,
 * except {@link #size()} for a gauge.
 */
final class Mailbox {

    private final int capacity;

    private final InvocationQueue messages = new InvocationQueue();

    private @Nullable InvocationQueue callbacks;

    private int size;

    private @Nullable CompletableFuture<Void> room;

    Mailbox(int capacity) {
        this.capacity = capacity;
    }

    boolean isFull() {
        return this.size >= this.capacity;
    }

    void add(Invocation message) {
        this.messages.add(message);
        this.size++;
    }

    void addCallback(Invocation callback) {
        if (this.callbacks == null) {
            this.callbacks = new InvocationQueue();
        }
        this.callbacks.add(callback);
        this.size++;
    }

    /**
     * Takes over a predecessor's messages, already linked in order.
     * @param count how many there are
     */
    void adopt(Invocation first, int count) {
        this.messages.addAll(first);
        this.size += count;
    }

    /**
     * Takes the first call back, if any; it runs before any other message.
     */
    @Nullable Invocation pollCallback() {
        Invocation callback = (this.callbacks != null) ? this.callbacks.poll() : null;
        if (callback != null) {
            taken();
        }
        return callback;
    }

    /**
     * Returns the oldest message without taking it, to see whether it may start.
     */
    @Nullable Invocation peek() {
        return this.messages.peek();
    }

    /**
     * Takes the oldest message, after {@link #peek()} returned it.
     */
    @Nullable Invocation poll() {
        Invocation message = this.messages.poll();
        if (message != null) {
            taken();
        }
        return message;
    }

    /**
     * Returns the distinct call chains of the waiting calls (not system turns), calls back first.
     * @param max how many at most
     */
    long[] chains(int max) {
        Set<Long> chains = new LinkedHashSet<>();
        if (this.callbacks != null) {
            this.callbacks.chains(chains, max);
        }
        this.messages.chains(chains, max);
        return chains.stream().mapToLong(Long::longValue).toArray();
    }

    /**
     * Takes the calls of a call chain out of the mailbox, calls back first, keeping the other messages in order.
     * @return the calls taken, linked in order, or {@code null} when none was of that chain
     */
    @Nullable Invocation takeChain(long chainId) {
        Invocation callbacks = (this.callbacks != null) ? this.callbacks.takeChain(chainId) : null;
        Invocation messages = this.messages.takeChain(chainId);
        Invocation first = (callbacks != null) ? callbacks : messages;
        Invocation last = null;
        int count = 0;
        for (Invocation invocation = callbacks; invocation != null; invocation = invocation.next) {
            last = invocation;
            count++;
        }
        if (last != null) {
            last.next = messages;
        }
        for (Invocation invocation = messages; invocation != null; invocation = invocation.next) {
            count++;
        }
        for (int i = 0; i < count; i++) {
            taken();
        }
        return first;
    }

    private void taken() {
        this.size--;
        CompletableFuture<Void> waiting = this.room;
        if (waiting != null && this.size <= this.capacity - Math.max(1, this.capacity / 4)) {
            this.room = null;
            waiting.complete(null);
        }
    }

    /**
     * Empties the mailbox and lets every caller waiting for room go on.
     * @return the calls back first, then the messages, linked in order, or {@code null} if there were none
     */
    @Nullable Invocation takeAll() {
        Invocation first = (this.callbacks != null) ? this.callbacks.takeAll() : null;
        Invocation messages = this.messages.takeAll();
        if (first == null) {
            first = messages;
        }
        else {
            Invocation last = first;
            while (last.next != null) {
                last = last.next;
            }
            last.next = messages;
        }
        this.size = 0;
        openRoom();
        return first;
    }

    /**
     * Returns the signal a caller waits on for room, or {@code null} when there is room now.
     */
    @Nullable CompletableFuture<Void> roomSignal() {
        if (this.size < this.capacity) {
            return null;
        }
        if (this.room == null) {
            this.room = new CompletableFuture<>();
        }
        return this.room;
    }

    /**
     * Waits for a signal from {@link #roomSignal()}.
     * @param signal the signal, or {@code null} when there was room already
     * @return {@code false} if the time elapsed first
     */
    static boolean awaitRoom(@Nullable CompletableFuture<Void> signal, long nanos) throws InterruptedException {
        if (signal == null) {
            return true;
        }
        try {
            signal.get(nanos, TimeUnit.NANOSECONDS);
            return true;
        }
        catch (TimeoutException ex) {
            return false;
        }
        catch (ExecutionException ex) {
            throw new IllegalStateException(ex);
        }
    }

    /**
     * Lets every caller waiting for room go on, because the activation ended.
     */
    void openRoom() {
        CompletableFuture<Void> waiting = this.room;
        if (waiting != null) {
            this.room = null;
            waiting.complete(null);
        }
    }

    /**
     * Returns the first call of a call chain that waits here and has not completed yet.
     */
    @Nullable Invocation waitingOf(long chainId, String method) {
        Invocation waiting = (this.callbacks != null) ? this.callbacks.firstOf(chainId, method) : null;
        return (waiting != null) ? waiting : this.messages.firstOf(chainId, method);
    }

    boolean contains(Invocation invocation) {
        return this.messages.contains(invocation) || (this.callbacks != null && this.callbacks.contains(invocation));
    }

    boolean isEmpty() {
        return this.size == 0;
    }

    /**
     * Returns how many messages wait, calls back included; read without the lock it may be a moment old.
     */
    int size() {
        return this.size;
    }
}
