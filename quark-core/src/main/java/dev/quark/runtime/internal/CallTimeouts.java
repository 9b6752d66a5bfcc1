package dev.quark.runtime.internal;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

import dev.quark.actor.ActorCallTimeoutException;
import dev.quark.runtime.routing.DeadlineSweep;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Times out asynchronous calls: the pending calls of one runtime in a {@link DeadlineSweep} threaded through
 * the invocations themselves, whose sweeper fails those whose time is up.
 * <p>
 * Every call gets the same timeout, so deadlines taken under the lock grow in list order: arming appends at
 * the tail, the sweeper only ever looks at the head, and a call that completes unlinks itself. A call
 * completed by a path that does not disarm it stays linked until its deadline, when the sweeper drops it.
 */
final class CallTimeouts extends DeadlineSweep<TimedInvocation> {

    private static final Logger logger = LoggerFactory.getLogger(CallTimeouts.class);

    private final Duration timeout;

    private final long timeoutNanos;

    private final Executor completions;

    /**
     * Creates the timeouts of a runtime.
     * @param timeout how long an asynchronous call may take
     * @param completions where timed-out calls are failed, so that their callers' continuations never run
     * on the sweeper thread
     * @param sweeperName the sweeper thread's name; the thread starts with the first armed call
     */
    CallTimeouts(Duration timeout, Executor completions, String sweeperName) {
        super(sweeperName);
        this.timeout = timeout;
        this.timeoutNanos = timeout.toNanos();
        this.completions = completions;
    }

    /**
     * Starts the timeout of a call whose caller waits on the invocation itself.
     */
    void arm(TimedInvocation invocation) {
        arm(invocation, null);
    }

    /**
     * Starts the timeout of a call whose caller waits on a stage an outgoing filter returned: when time is
     * up, both fail; when that stage completes first, the timeout stops.
     */
    void arm(TimedInvocation invocation, @Nullable CompletableFuture<?> alsoFail) {
        boolean wake;
        synchronized (this.lock) {
            if (isClosed() || ((alsoFail != null) ? alsoFail.isDone() : invocation.isDone())) {
                return;
            }
            invocation.timeoutAtNanos = System.nanoTime() + this.timeoutNanos;
            invocation.timeoutAlsoFails = alsoFail;
            invocation.timeouts = this;
            wake = linkLocked(invocation);
        }
        if (wake) {
            wake();
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
    void callCompleted(TimedInvocation invocation) {
        synchronized (this.lock) {
            if (invocation.timeouts != this || invocation.timeoutAlsoFails != null) {
                return;
            }
            unlinkLocked(invocation);
        }
    }

    /**
     * Stops the timeout of a call; does nothing when none is armed.
     */
    void disarm(TimedInvocation invocation) {
        synchronized (this.lock) {
            if (invocation.timeouts != this) {
                return;
            }
            unlinkLocked(invocation);
            invocation.timeoutAlsoFails = null;
        }
    }

    @Override
    protected long deadlineNanos(TimedInvocation entry) {
        return entry.timeoutAtNanos;
    }

    @Override
    protected @Nullable TimedInvocation previous(TimedInvocation entry) {
        return entry.timeoutPrevious;
    }

    @Override
    protected void previous(TimedInvocation entry, @Nullable TimedInvocation previous) {
        entry.timeoutPrevious = previous;
    }

    @Override
    protected @Nullable TimedInvocation next(TimedInvocation entry) {
        return entry.timeoutNext;
    }

    @Override
    protected void next(TimedInvocation entry, @Nullable TimedInvocation next) {
        entry.timeoutNext = next;
    }

    @Override
    protected void unlinked(TimedInvocation entry) {
        entry.timeouts = null;
    }

    @Override
    protected void expire(TimedInvocation invocation) {
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
        return linked();
    }
}
