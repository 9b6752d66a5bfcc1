package dev.quark.cluster.routing;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

import dev.quark.cluster.membership.ClusterView;
import dev.quark.cluster.membership.SiloEntry;
import dev.quark.cluster.membership.SiloStatus;

/**
 * Waits, before a {@code HANDOFF} whose link broke is sent once more, until this silo's link to the silo asked is up
 * again, for a while at most. A {@code HANDOFF} may be asked again whatever became of the first one (the silo asked
 * answers whether it holds the actor now), so a request lost with a broken stream, or written to one closed before
 * its answer came, is sent again within the asker's own time instead of failing the activation that waits for it.
 * The wait ends early when the transport cannot tell when the link is up (the in-JVM one: the request is sent again
 * at once, and fails again at once while the link is cut) or when a view shows the silo asked gone, dead or running
 * as a new incarnation: it holds nothing then, and is not asked again.
 */
final class BrokenLinkWait {

    /** How often one request is sent again after its link broke: a link that keeps breaking fails it. */
    static final int RETRIES = 2;

    /** How long the wait lasts at most: longer than a link's first reconnect back-offs. */
    static final long MAX_WAIT_MILLIS = 2_000;

    /**
     * The least time a request sent once more must have left: the silo asked answers a little before the deadline
     * ({@link EarlierOwnerHandoff#BUSY_MARGIN_MILLIS}), and one that gets it later answers busy at once.
     */
    static final long LEAST_TIME_LEFT_MILLIS = 500;

    private final Messenger messenger;

    private final ViewTracker views;

    private final Executor executor;

    /**
     * @param executor where what follows the wait runs: not on the thread that installs a view, nor on the
     * transport's or the JDK's delay thread, which complete the wait
     */
    BrokenLinkWait(Messenger messenger, ViewTracker views, Executor executor) {
        this.messenger = messenger;
        this.views = views;
        this.executor = executor;
    }

    /**
     * Whether a request failed because its link broke or could not be reached, not because the silo asked refused
     * it or did not answer in time: the failures {@link NotHandedOver#isUnreached} names, whether the request was
     * not handed over or was written to a stream that broke before its answer came.
     * @param failure the request's failure, unwrapped
     * @return whether sending it once more over the link, when it is up again, may get an answer
     */
    static boolean isBrokenLink(Throwable failure) {
        return NotHandedOver.isUnreached(failure);
    }

    /**
     * Returns a stage completed, on the executor, once this silo's link to a silo is up again (or the transport
     * cannot tell), a view shows that silo gone, or the wait's bound passed, with whether that silo is still alive in
     * the same incarnation then: whether to ask it again. Completed with {@code false} when less than
     * {@link #LEAST_TIME_LEFT_MILLIS} would be left after the wait. Never failed (a closed executor completes it with
     * {@code false} on the calling thread).
     * @param target the silo asked, as it was when it was asked
     * @param timeLeftMillis the request's time left, which bounds the wait with {@link #MAX_WAIT_MILLIS}
     */
    CompletableFuture<Boolean> linkBack(SiloEntry target, long timeLeftMillis) {
        long wait = Math.min(MAX_WAIT_MILLIS, timeLeftMillis - LEAST_TIME_LEFT_MILLIS);
        if (wait <= 0 || !stillThere(target)) {
            return CompletableFuture.completedFuture(false);
        }
        CompletableFuture<Void> ready = new CompletableFuture<>();
        endWhenGone(target, this.views.current(), ready);
        this.messenger.reconnected(Peer.of(target)).whenComplete((up, down) -> ready.complete(null));
        CompletableFuture<Boolean> again = new CompletableFuture<>();
        ready.completeOnTimeout(null, wait, TimeUnit.MILLISECONDS).whenComplete((ignored, never) -> {
            try {
                this.executor.execute(() -> again.complete(stillThere(target)));
            }
            catch (RuntimeException ex) {
                again.complete(false);
            }
        });
        return again;
    }

    /**
     * Completes the wait once the view shows the silo gone: the one seen (installed since it was read, say), or a
     * newer one; watches each newer view until then.
     */
    private void endWhenGone(SiloEntry target, ClusterView seen, CompletableFuture<Void> ready) {
        CompletableFuture<ClusterView> newer = this.views.awaitNewerThan(seen);
        if (!stillThere(target)) {
            newer.cancel(false);
            ready.complete(null);
            return;
        }
        ready.whenComplete((done, never) -> newer.cancel(false));
        newer.thenAccept((view) -> {
            if (!stillThere(target)) {
                ready.complete(null);
            }
            else if (!ready.isDone()) {
                endWhenGone(target, view, ready);
            }
        });
    }

    private boolean stillThere(SiloEntry target) {
        SiloEntry now = this.views.current().membership().silos().get(target.siloId());
        return now != null && now.status() != SiloStatus.DEAD && now.epoch() == target.epoch();
    }
}
