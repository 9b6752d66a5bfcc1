package dev.quark.runtime.internal;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.locks.LockSupport;

import dev.quark.actor.ActorCallTimeoutException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Times out asynchronous calls: the pending calls of one runtime in a doubly linked list threaded through the
 * invocations themselves, and one sweeper thread that fails those whose time is up.
 * <p>
 * Every call gets the same timeout, so deadlines taken under the lock grow in list order: arming appends at
 * the tail, the sweeper only ever looks at the head, and a call that completes unlinks itself. Both are O(1)
 * and allocate nothing, where a {@code ScheduledThreadPoolExecutor} allocates a task per call and sifts a
 * heap of every pending call twice under its lock. The sweeper parks until the head's deadline, and
 * indefinitely while nothing is pending; only arming the first call after that wakes it. A call completed
 * by a path that does not disarm it stays linked until its deadline, when the sweeper drops it.
 */
final class CallTimeouts implements AutoCloseable {

    private static final Logger logger = LoggerFactory.getLogger(CallTimeouts.class);

    private final Duration timeout;

    private final long timeoutNanos;

    private final Executor completions;

    private final Thread sweeper;

    /** Guards the list, {@link #sweeperIdle} and {@link #started}. */
    private final Object lock = new Object();

    private boolean started;

    private @Nullable Invocation head;

    private @Nullable Invocation tail;

    private boolean sweeperIdle;

    private volatile boolean closed;

    /**
     * Creates the timeouts of a runtime.
     * @param timeout how long an asynchronous call may take
     * @param completions where timed-out calls are failed, so that their callers' continuations never run
     * on the sweeper thread
     * @param sweeperName the sweeper thread's name; the thread starts with the first armed call
     */
    CallTimeouts(Duration timeout, Executor completions, String sweeperName) {
        this.timeout = timeout;
        this.timeoutNanos = timeout.toNanos();
        this.completions = completions;
        this.sweeper = Thread.ofPlatform().name(sweeperName).daemon().unstarted(this::sweep);
    }

    /**
     * Starts the timeout of a call whose caller waits on the invocation itself.
     */
    void arm(Invocation invocation) {
        arm(invocation, null);
    }

    /**
     * Starts the timeout of a call whose caller waits on a stage an outgoing filter returned: when time is
     * up, both fail; when that stage completes first, the timeout stops.
     */
    void arm(Invocation invocation, @Nullable CompletableFuture<?> alsoFail) {
        boolean wake;
        synchronized (this.lock) {
            if (this.closed || ((alsoFail != null) ? alsoFail.isDone() : invocation.isDone())) {
                return;
            }
            invocation.timeoutAtNanos = System.nanoTime() + this.timeoutNanos;
            invocation.timeoutAlsoFails = alsoFail;
            invocation.timeouts = this;
            Invocation last = this.tail;
            invocation.timeoutPrevious = last;
            invocation.timeoutNext = null;
            if (last == null) {
                this.head = invocation;
            }
            else {
                last.timeoutNext = invocation;
            }
            this.tail = invocation;
            wake = this.sweeperIdle;
            this.sweeperIdle = false;
            if (!this.started) {
                this.started = true;
                this.sweeper.start();
            }
        }
        if (wake) {
            LockSupport.unpark(this.sweeper);
        }
        if (alsoFail != null) {
            alsoFail.whenComplete((result, failure) -> disarm(invocation));
        }
        else if (invocation.isDone()) {
            disarm(invocation);
        }
    }

    /**
     * Stops the timeout of a call that completed, unless a filter's stage still waits on it: that stage
     * stops the timeout itself when it completes.
     */
    void callCompleted(Invocation invocation) {
        synchronized (this.lock) {
            if (invocation.timeouts != this || invocation.timeoutAlsoFails != null) {
                return;
            }
            unlink(invocation);
        }
    }

    /**
     * Stops the timeout of a call; does nothing when none is armed.
     */
    void disarm(Invocation invocation) {
        synchronized (this.lock) {
            if (invocation.timeouts != this) {
                return;
            }
            unlink(invocation);
            invocation.timeoutAlsoFails = null;
        }
    }

    private void unlink(Invocation invocation) {
        Invocation previous = invocation.timeoutPrevious;
        Invocation next = invocation.timeoutNext;
        if (previous == null) {
            this.head = next;
        }
        else {
            previous.timeoutNext = next;
        }
        if (next == null) {
            this.tail = previous;
        }
        else {
            next.timeoutPrevious = previous;
        }
        invocation.timeoutPrevious = null;
        invocation.timeoutNext = null;
        invocation.timeouts = null;
    }

    private void sweep() {
        while (!this.closed) {
            Invocation expired = null;
            long parkNanos;
            synchronized (this.lock) {
                long now = System.nanoTime();
                Invocation first = this.head;
                while (first != null && first.timeoutAtNanos - now <= 0) {
                    unlink(first);
                    first.timeoutNext = expired;
                    expired = first;
                    first = this.head;
                }
                if (first == null) {
                    this.sweeperIdle = true;
                    parkNanos = 0;
                }
                else {
                    parkNanos = first.timeoutAtNanos - now;
                }
            }
            while (expired != null) {
                Invocation next = expired.timeoutNext;
                expired.timeoutNext = null;
                fail(expired);
                expired = next;
            }
            if (parkNanos == 0) {
                LockSupport.park(this);
            }
            else {
                LockSupport.parkNanos(this, parkNanos);
            }
        }
    }

    private void fail(Invocation invocation) {
        CompletableFuture<?> alsoFail = invocation.timeoutAlsoFails;
        invocation.timeoutAlsoFails = null;
        if (invocation.isDone() && (alsoFail == null || alsoFail.isDone())) {
            return;
        }
        Runnable failure = () -> {
            ActorCallTimeoutException timeout = new ActorCallTimeoutException(invocation.address().toString(),
                    invocation.name(), this.timeout);
            invocation.completeExceptionally(timeout);
            if (alsoFail != null) {
                alsoFail.completeExceptionally(timeout);
            }
        };
        try {
            this.completions.execute(failure);
        }
        catch (RuntimeException ex) {
            // A bounded or shut-down executor refused: failing the caller here beats never failing it, and the
            // sweeper must live on for every later call.
            logger.debug("Timing out {} on the sweeper thread: the turn executor refused it", invocation, ex);
            failure.run();
        }
    }

    /**
     * Returns how many calls are armed now.
     */
    int pending() {
        synchronized (this.lock) {
            int count = 0;
            for (Invocation armed = this.head; armed != null; armed = armed.timeoutNext) {
                count++;
            }
            return count;
        }
    }

    /**
     * Stops the sweeper; pending calls keep their outcome, whatever completes them.
     */
    @Override
    public void close() {
        this.closed = true;
        LockSupport.unpark(this.sweeper);
    }
}
