package dev.quark.runtime.internal;

import java.util.Set;

import org.jspecify.annotations.Nullable;

/**
 * A first-in first-out queue of invocations linked through {@link Invocation#next}, so that queueing a
 * message allocates nothing. An invocation is in at most one queue at a time. Not thread-safe: its owner
 * guards it with the activation's lock.
 */
final class InvocationQueue {

    private @Nullable Invocation head;

    private @Nullable Invocation tail;

    void add(Invocation invocation) {
        if (this.tail != null) {
            this.tail.next = invocation;
        }
        else {
            this.head = invocation;
        }
        this.tail = invocation;
    }

    /**
     * Appends a chain of invocations already linked through {@link Invocation#next}.
     */
    void addAll(Invocation first) {
        Invocation last = first;
        while (last.next != null) {
            last = last.next;
        }
        if (this.tail != null) {
            this.tail.next = first;
        }
        else {
            this.head = first;
        }
        this.tail = last;
    }

    @Nullable Invocation peek() {
        return this.head;
    }

    @Nullable Invocation poll() {
        Invocation first = this.head;
        if (first != null) {
            this.head = unlink(first);
            if (this.head == null) {
                this.tail = null;
            }
        }
        return first;
    }

    /**
     * Empties the queue.
     * @return its invocations, still linked in order, or {@code null} when it was empty
     */
    @Nullable Invocation takeAll() {
        Invocation first = this.head;
        this.head = null;
        this.tail = null;
        return first;
    }

    /**
     * Adds the call chains of the queued calls (not system turns) to a set, until it holds {@code max}.
     */
    void chains(Set<Long> into, int max) {
        for (Invocation invocation = this.head; invocation != null && into.size() < max; invocation = invocation.next) {
            if (invocation.task() == null) {
                into.add(invocation.callChainId());
            }
        }
    }

    /**
     * Takes the calls of a call chain out of the queue (not system turns), keeping the others in order.
     * @return the calls taken, linked in order, or {@code null} when none was of that chain
     */
    @Nullable Invocation takeChain(long chainId) {
        Invocation keptFirst = null;
        Invocation keptLast = null;
        Invocation takenFirst = null;
        Invocation takenLast = null;
        for (Invocation invocation = this.head; invocation != null; ) {
            Invocation next = unlink(invocation);
            if (invocation.task() == null && invocation.callChainId() == chainId) {
                if (takenLast == null) {
                    takenFirst = invocation;
                }
                else {
                    takenLast.next = invocation;
                }
                takenLast = invocation;
            }
            else {
                if (keptLast == null) {
                    keptFirst = invocation;
                }
                else {
                    keptLast.next = invocation;
                }
                keptLast = invocation;
            }
            invocation = next;
        }
        this.head = keptFirst;
        this.tail = keptLast;
        return takenFirst;
    }

    boolean isEmpty() {
        return this.head == null;
    }

    /**
     * Returns the first waiting call of a call chain to a method that has not completed yet, for the deadlock
     * detector; one-way messages are never it (nobody waits for them).
     */
    @Nullable Invocation firstOf(long chainId, String method) {
        for (Invocation waiting = this.head; waiting != null; waiting = waiting.next) {
            if (waiting.callChainId() == chainId && waiting.method() != null && !waiting.isOneWay()
                    && waiting.name().equals(method) && !waiting.isDone()) {
                return waiting;
            }
        }
        return null;
    }

    boolean contains(Invocation invocation) {
        for (Invocation waiting = this.head; waiting != null; waiting = waiting.next) {
            if (waiting == invocation) {
                return true;
            }
        }
        return false;
    }

    /**
     * Detaches an invocation from the chain it heads.
     * @return the invocation that followed it
     */
    static @Nullable Invocation unlink(Invocation invocation) {
        Invocation next = invocation.next;
        invocation.next = null;
        return next;
    }
}
