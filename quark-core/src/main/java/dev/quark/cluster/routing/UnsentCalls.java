package dev.quark.cluster.routing;

import java.time.Clock;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.quark.cluster.membership.ClusterView;
import dev.quark.cluster.membership.SiloEntry;
import dev.quark.cluster.membership.SiloStatus;

import org.jspecify.annotations.Nullable;

/**
 * Decides whether a call the transport could not hand over to its target ({@link NotHandedOver}: it was not
 * delivered) is routed again. Typically the target left and closed its transport while this silo's view still
 * named it: a silo that did not read the leave in time, or a cluster client the leaver's notice did not reach. The
 * calls are this silo's own ({@link ClusterRouter}) and the one-way calls it passes on to their actor's owner
 * ({@link IncomingCalls}: a one-way call has no answer that could send it back to its caller); both share one
 * instance, so that they share its waits.
 * <p>
 * The call is routed again only when this silo has learnt something since it sent it: its view moved on from the
 * version it was sent with, or shows the target leaving ({@code SHUTTING_DOWN}), dead, gone or restarted. When
 * the view at the failure shows neither, membership is read again and a newer version waited for, without
 * blocking a thread, for at most the routing's catch-up wait and never past the call's deadline: one read and
 * one wait shared by all the calls that wait for the same version meanwhile. A target
 * that is still active in a view that did not move is simply unreachable from here (a cut link, a crashed silo
 * not yet voted dead): the transport's failure is then the call's outcome, as is a call already routed again
 * {@link ClusterRouter#MAX_REROUTES} times or whose deadline passed.
 * <p>
 * At most {@link #MAX_WAITING_ONE_WAYS} one-way calls wait for a newer view at once, this silo's own and those it
 * passed on together; one more is not routed again. Nothing else bounds them: their callers returned when they
 * handed them over, so a crashed silo not yet voted dead makes every one sent to it wait, however many the
 * application sends meanwhile. A request needs no such bound: its caller waits for its outcome.
 */
final class UnsentCalls {

    /**
     * How many one-way calls that could not be handed over may wait for a newer view at once (each keeps its call
     * for up to the catch-up wait); more are not routed again.
     */
    static final int MAX_WAITING_ONE_WAYS = 10_000;

    private final ViewTracker views;

    private final SiloBinding silo;

    private final Clock clock;

    private final Executor executor;

    /** How many one-way calls wait for a newer view now; at most {@link #MAX_WAITING_ONE_WAYS}. */
    private final AtomicInteger waitingOneWays = new AtomicInteger();

    /**
     * Guarded by this: the wait for a newer view that the calls which could not be handed over share, with the
     * version it waits for; {@code null} before the first.
     */
    private @Nullable SharedWait shared;

    /**
     * Set when the routing closes, before its transport: a call the closing transport could not hand over is
     * not routed again, and is failed at once rather than after waiting for a view that no longer moves.
     */
    private volatile boolean closed;

    /** How long a call that could not be handed over waits at most for a newer view. */
    private final long catchUpMillis;

    UnsentCalls(ViewTracker views, SiloBinding silo, Clock clock, Executor executor, long catchUpMillis) {
        this.catchUpMillis = catchUpMillis;
        this.views = views;
        this.silo = silo;
        this.clock = clock;
        this.executor = executor;
    }

    /**
     * Decides whether to route a call again that could not be handed over: a call of this silo's, or a one-way
     * call it passed on to the actor's owner ({@link IncomingCalls}).
     * @param deadlineEpochMillis the call's deadline
     * @param unsent the failure, naming the target the call was sent to
     * @param sentWith this silo's view when the call was sent
     * @param reroutes how many times the call was routed again already
     * @param oneWay whether the call is one-way: it waits for a newer view only while fewer than
     * {@link #MAX_WAITING_ONE_WAYS} one-way calls do
     * @return a stage completed, on the executor or at once, with {@code null} when the call is to be routed
     * again, otherwise with why not (for the message of the call's failure); never failed
     * @throws RuntimeException when membership stops under the decision (its executor refusing the read of the
     * table); the call no longer counts as waiting
     */
    CompletableFuture<@Nullable String> decide(long deadlineEpochMillis, NotHandedOver unsent, ClusterView sentWith,
            int reroutes, boolean oneWay) {
        if (reroutes >= ClusterRouter.MAX_REROUTES) {
            return CompletableFuture.completedFuture("it was routed again " + reroutes + " times already");
        }
        long remaining = deadlineEpochMillis - this.clock.millis();
        if (remaining <= 0) {
            return CompletableFuture.completedFuture("its deadline passed");
        }
        Peer target = unsent.target();
        ClusterView view = this.views.current();
        if (learnt(view, target, sentWith)) {
            return CompletableFuture.completedFuture(null);
        }
        if (this.closed) {
            // No view comes any more: the wait would only delay the failure.
            return CompletableFuture.completedFuture("the routing closed");
        }
        if (oneWay && this.waitingOneWays.incrementAndGet() > MAX_WAITING_ONE_WAYS) {
            this.waitingOneWays.decrementAndGet();
            return CompletableFuture.completedFuture(MAX_WAITING_ONE_WAYS
                    + " one-way calls this silo could not hand over wait for a newer view already, the most it keeps");
        }
        CompletableFuture<ClusterView> wait;
        try {
            wait = newerThan(view);
        }
        catch (RuntimeException ex) {
            endWait(oneWay);
            throw ex;
        }
        CompletableFuture<@Nullable String> decided = new CompletableFuture<>();
        wait.copy()
            .orTimeout(Math.min(this.catchUpMillis, remaining), TimeUnit.MILLISECONDS)
            .whenComplete((newer, late) -> {
                endWait(oneWay);
                if (this.closed) {
                    decided.complete("the routing closed");
                    return;
                }
                try {
                    this.executor.execute(
                            () -> decided.complete(decideAfterWait(deadlineEpochMillis, target, sentWith)));
                }
                catch (RejectedExecutionException ex) {
                    decided.complete("the routing closed");
                }
            });
        return decided;
    }

    /**
     * Marks the routing closed: the calls not handed over from now on are not routed again unless the view tells
     * already where else to send them, and those waiting for a newer view stop waiting.
     */
    void close() {
        SharedWait waiting;
        synchronized (this) {
            this.closed = true;
            waiting = this.shared;
        }
        if (waiting != null) {
            waiting.newer().completeExceptionally(new IllegalStateException("the routing closed"));
        }
    }

    private void endWait(boolean oneWay) {
        if (oneWay) {
            this.waitingOneWays.decrementAndGet();
        }
    }

    /**
     * Returns the stage completed once this silo's view is newer than a version, failed after the catch-up wait or
     * when the routing closes: one wait, and one read of membership asked for, shared by all the calls that wait for
     * the same version meanwhile. A crashed silo not yet voted dead fails every call to it, and each would
     * otherwise add a waiter of its own and ask for a read of the table; a call that joins a wait started a
     * moment ago waits for the rest of it (the read that wait asked for came after the sends that failed before).
     */
    private CompletableFuture<ClusterView> newerThan(ClusterView view) {
        SeenView awaited = new SeenView(view.incarnation(), view.version() + 1);
        CompletableFuture<ClusterView> newer;
        synchronized (this) {
            if (this.closed) {
                return CompletableFuture.failedFuture(new IllegalStateException("the routing closed"));
            }
            SharedWait current = this.shared;
            if (current != null && current.awaited().equals(awaited) && !current.newer().isDone()) {
                return current.newer();
            }
            newer = this.views.awaitNewerThan(view).orTimeout(this.catchUpMillis, TimeUnit.MILLISECONDS);
            this.shared = new SharedWait(awaited, newer);
        }
        this.silo.refreshFor(awaited);
        return newer;
    }

    private @Nullable String decideAfterWait(long deadlineEpochMillis, Peer target, ClusterView sentWith) {
        if (deadlineEpochMillis <= this.clock.millis()) {
            return "its deadline passed";
        }
        ClusterView view = this.views.current();
        if (learnt(view, target, sentWith)) {
            return null;
        }
        return "silo " + target.siloId() + " is still active in membership version " + view.version()
                + ", which did not move";
    }

    /**
     * Whether a view tells more than the one the call was sent with: it shows another table (newer, or one that went
     * back after the table lost its latest writes), or shows the target leaving, dead, gone or restarted.
     */
    private static boolean learnt(ClusterView view, Peer target, ClusterView sentWith) {
        if (ViewTracker.changedSince(view, sentWith)) {
            return true;
        }
        SiloEntry entry = view.membership().silos().get(target.siloId());
        return entry == null || entry.epoch() != target.epoch() || entry.status() == SiloStatus.SHUTTING_DOWN
                || entry.status() == SiloStatus.DEAD;
    }

    /**
     * Whether a view still routes a call to the very incarnation of the silo that could not be reached, so that
     * sending it there again would fail the same way.
     * @param view the view the call was located again with
     * @param located the silo it was located at, {@code null} for this silo
     * @param target the silo the call could not be handed over to
     */
    static boolean sameTarget(ClusterView view, @Nullable String located, Peer target) {
        if (!target.siloId().equals(located)) {
            return false;
        }
        SiloEntry entry = view.membership().silos().get(located);
        return entry != null && entry.epoch() == target.epoch() && entry.address().equals(target.address());
    }

    /** A wait for a version of the view, shared by the calls that wait for it. */
    private record SharedWait(SeenView awaited, CompletableFuture<ClusterView> newer) {
    }
}
