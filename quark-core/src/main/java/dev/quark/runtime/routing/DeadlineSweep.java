package dev.quark.runtime.routing;

import java.util.concurrent.locks.LockSupport;

import org.jspecify.annotations.Nullable;

/**
 * Things that wait with a deadline, in a doubly linked list threaded through the things themselves and kept
 * in deadline order, and one sweeper thread that hands those whose deadline passed to {@link #expire}: the
 * mechanism behind the call timeouts of a runtime ({@code dev.quark.runtime.internal.CallTimeouts}) and the deadlines of the requests a
 * silo sent to others.
 * <p>
 * Linking inserts from the tail, walking back past later deadlines: O(1) when deadlines grow in arrival
 * order (every call of a runtime gets the same timeout) and a few steps when they nearly do (requests carry
 * their calls' deadlines); the sweeper only ever looks at the head, and unlinking is O(1). Nothing is
 * allocated per entry, where a {@code ScheduledThreadPoolExecutor} allocates a task and sifts a heap of every
 * pending entry twice under its lock. The sweeper parks until the head's deadline, and indefinitely while
 * nothing waits; only linking a new head wakes it.
 * <p>
 * Subclasses hold {@link #lock} while they call {@link #linkLocked} and {@link #unlinkLocked}, and give access
 * to the link fields of their entries.
 * @param <N> the entries
 */
public abstract class DeadlineSweep<N> implements AutoCloseable {

    /** Guards the list and the links of every entry in it. */
    protected final Object lock = new Object();

    private final Thread sweeper;

    private boolean started;

    private @Nullable N head;

    private @Nullable N tail;

    private boolean sweeperIdle;

    private volatile boolean closed;

    /**
     * Creates an empty sweep.
     * @param sweeperName the sweeper thread's name; the thread starts with the first linked entry
     */
    protected DeadlineSweep(String sweeperName) {
        this.sweeper = Thread.ofPlatform().name(sweeperName).daemon().unstarted(this::sweep);
    }

    /** Returns an entry's deadline, in {@link System#nanoTime()} terms. */
    protected abstract long deadlineNanos(N entry);

    protected abstract @Nullable N previous(N entry);

    protected abstract void previous(N entry, @Nullable N previous);

    protected abstract @Nullable N next(N entry);

    protected abstract void next(N entry, @Nullable N next);

    /** Marks an entry as out of the list; called under the lock by {@link #unlinkLocked}. */
    protected abstract void unlinked(N entry);

    /** Acts on an entry whose deadline passed, on the sweeper thread, without the lock; it is unlinked. */
    protected abstract void expire(N entry);

    /** Returns whether the sweep was closed. */
    protected final boolean isClosed() {
        return this.closed;
    }

    /**
     * Links an entry at its deadline's place; the caller holds {@link #lock}.
     * @return whether the sweeper must be woken (by {@link #wake()}, once the lock is released)
     */
    protected final boolean linkLocked(N entry) {
        long deadline = deadlineNanos(entry);
        N after = this.tail;
        while (after != null && deadlineNanos(after) - deadline > 0) {
            after = previous(after);
        }
        N before = (after != null) ? next(after) : this.head;
        previous(entry, after);
        next(entry, before);
        if (after == null) {
            this.head = entry;
        }
        else {
            next(after, entry);
        }
        if (before == null) {
            this.tail = entry;
        }
        else {
            previous(before, entry);
        }
        boolean wake = this.sweeperIdle || (after == null && before != null);
        this.sweeperIdle = false;
        if (!this.started) {
            this.started = true;
            this.sweeper.start();
        }
        return wake;
    }

    /** Wakes the sweeper after {@link #linkLocked} said so. */
    protected final void wake() {
        LockSupport.unpark(this.sweeper);
    }

    /** Unlinks an entry that is in the list; the caller holds {@link #lock}. */
    protected final void unlinkLocked(N entry) {
        N previous = previous(entry);
        N next = next(entry);
        if (previous == null) {
            this.head = next;
        }
        else {
            next(previous, next);
        }
        if (next == null) {
            this.tail = previous;
        }
        else {
            previous(next, previous);
        }
        previous(entry, null);
        next(entry, null);
        unlinked(entry);
    }

    private void sweep() {
        while (!this.closed) {
            N expired = null;
            long parkNanos;
            synchronized (this.lock) {
                long now = System.nanoTime();
                N first = this.head;
                while (first != null && deadlineNanos(first) - now <= 0) {
                    unlinkLocked(first);
                    next(first, expired);
                    expired = first;
                    first = this.head;
                }
                if (first == null) {
                    this.sweeperIdle = true;
                    parkNanos = 0;
                }
                else {
                    parkNanos = deadlineNanos(first) - now;
                }
            }
            while (expired != null) {
                N following = next(expired);
                next(expired, null);
                expire(expired);
                expired = following;
            }
            if (parkNanos == 0) {
                LockSupport.park(this);
            }
            else {
                LockSupport.parkNanos(this, parkNanos);
            }
        }
    }

    /**
     * Returns how many entries are linked now.
     */
    protected final int linked() {
        synchronized (this.lock) {
            int count = 0;
            for (N entry = this.head; entry != null; entry = next(entry)) {
                count++;
            }
            return count;
        }
    }

    /**
     * Stops the sweeper; linked entries stay as they are.
     */
    @Override
    public void close() {
        this.closed = true;
        LockSupport.unpark(this.sweeper);
    }
}
