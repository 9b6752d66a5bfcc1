package dev.quark.cluster.routing;

import java.time.Clock;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import dev.quark.cluster.membership.ClusterView;
import dev.quark.cluster.membership.SiloEntry;
import dev.quark.cluster.membership.SiloStatus;
import dev.quark.runtime.ActorCall;

import org.jspecify.annotations.Nullable;

/**
 * Decides whether a call the transport could not hand over to its target ({@link NotHandedOver}: it was not
 * delivered) is routed again. Typically the target left and closed its transport while this silo's view still
 * named it: a silo that did not read the leave in time, or a cluster client the leaver's notice did not reach.
 * <p>
 * The call is routed again only when this silo has learnt something since it sent it: its view moved on from the
 * version it was sent with, or shows the target leaving ({@code SHUTTING_DOWN}), dead, gone or restarted. When
 * the view at the failure shows neither, membership is read again (at most once every
 * {@link #REFRESH_SPACING_MILLIS} for all such calls) and a newer version waited for, without
 * blocking a thread, for at most {@link ViewWaits#MAX_WAIT_MILLIS} and never past the call's deadline. A target
 * that is still active in a view that did not move is simply unreachable from here (a cut link, a crashed silo
 * not yet voted dead): the transport's failure is then the call's outcome, as is a call already routed again
 * {@link ClusterRouter#MAX_REROUTES} times or whose deadline passed.
 */
final class UnsentCalls {

    /** How long a call that could not be handed over waits at most for a newer view. */
    static final long CATCH_UP_MILLIS = ViewWaits.MAX_WAIT_MILLIS;

    /**
     * How far apart, at least, the reads of membership asked for by calls that could not be handed over are: a
     * crashed silo not yet voted dead fails every call to it, and each would otherwise ask for a read of the table.
     * A call that asks within this time of the last ask waits for the view that read brings, or the next one.
     */
    static final long REFRESH_SPACING_MILLIS = 50;

    private static final long REFRESH_SPACING_NANOS = TimeUnit.MILLISECONDS.toNanos(REFRESH_SPACING_MILLIS);

    private final ViewTracker views;

    private final SiloBinding silo;

    private final Clock clock;

    private final Executor executor;

    /** When membership was last asked to be read again, in {@link System#nanoTime}. */
    private final AtomicLong lastRefreshNanos = new AtomicLong(System.nanoTime() - REFRESH_SPACING_NANOS);

    UnsentCalls(ViewTracker views, SiloBinding silo, Clock clock, Executor executor) {
        this.views = views;
        this.silo = silo;
        this.clock = clock;
        this.executor = executor;
    }

    /**
     * Decides whether to route a call again that could not be handed over.
     * @param call the call
     * @param unsent the failure, naming the target the call was sent to
     * @param sentWithVersion the version of this silo's view when the call was sent
     * @param reroutes how many times the call was routed again already
     * @return a stage completed, on the executor or at once, with {@code null} when the call is to be routed
     * again, otherwise with why not (for the message of the call's failure); never failed
     */
    CompletableFuture<@Nullable String> decide(ActorCall call, NotHandedOver unsent, long sentWithVersion,
            int reroutes) {
        if (reroutes >= ClusterRouter.MAX_REROUTES) {
            return CompletableFuture.completedFuture("it was routed again " + reroutes + " times already");
        }
        long remaining = call.deadlineEpochMillis() - this.clock.millis();
        if (remaining <= 0) {
            return CompletableFuture.completedFuture("its deadline passed");
        }
        Peer target = unsent.target();
        ClusterView view = this.views.current();
        if (learnt(view, target, sentWithVersion)) {
            return CompletableFuture.completedFuture(null);
        }
        long wait = Math.min(CATCH_UP_MILLIS, remaining);
        long now = System.nanoTime();
        long last = this.lastRefreshNanos.get();
        if (now - last >= REFRESH_SPACING_NANOS && this.lastRefreshNanos.compareAndSet(last, now)) {
            this.silo.refreshIfOlderThan(view.version() + 1, view.version());
        }
        CompletableFuture<@Nullable String> decided = new CompletableFuture<>();
        try {
            this.views.awaitVersion(view.version() + 1)
                .orTimeout(wait, TimeUnit.MILLISECONDS)
                .whenCompleteAsync((newer, late) -> decided.complete(decideAfterWait(call, target, sentWithVersion)),
                        this.executor)
                .whenComplete((ignored, rejected) -> {
                    if (rejected != null) {
                        decided.complete("the routing closed");
                    }
                });
        }
        catch (RejectedExecutionException ex) {
            decided.complete("the routing closed");
        }
        return decided;
    }

    private @Nullable String decideAfterWait(ActorCall call, Peer target, long sentWithVersion) {
        if (call.deadlineEpochMillis() <= this.clock.millis()) {
            return "its deadline passed";
        }
        ClusterView view = this.views.current();
        if (learnt(view, target, sentWithVersion)) {
            return null;
        }
        return "silo " + target.siloId() + " is still active in membership version " + view.version()
                + ", which did not move";
    }

    /**
     * Whether a view tells more than the one the call was sent with: it is newer, or shows the target leaving,
     * dead, gone or restarted.
     */
    private static boolean learnt(ClusterView view, Peer target, long sentWithVersion) {
        if (view.version() > sentWithVersion) {
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
}
