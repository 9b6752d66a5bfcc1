package dev.quark.cluster.routing;

import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import dev.quark.cluster.transport.Envelope;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The calls received from silos with a newer membership view than this silo's ({@link ViewTracker#isBehind}: a
 * higher version of the same table, or a table this silo has not read yet), parked until this silo has read that
 * view (a silo that has just joined gets calls from silos that read its entry before it did), or
 * for at most {@link #MAX_WAIT_MILLIS} and never past the call's deadline; then they are served with the view
 * this silo has. No thread waits meanwhile: the transport's receiving thread returns at once, and the parked
 * calls are served on the executor. Calls from one sender keep their order: while one of its calls is parked,
 * its later calls queue behind it, whatever their version.
 */
final class ViewWaits {

    private static final Logger logger = LoggerFactory.getLogger(ViewWaits.class);

    /** How long a call from a silo with a newer view waits at most for this silo to read that version. */
    static final long MAX_WAIT_MILLIS = 1_000;

    private final ViewTracker views;

    private final SiloBinding silo;

    private final Clock clock;

    private final Executor executor;

    /** Guarded by this: the parked calls by sending silo, in arrival order. */
    private final Map<String, SenderQueue> queues = new HashMap<>();

    /** Guarded by this: the calls taken off a queue and not served yet; they count as in progress. */
    private int serving;

    ViewWaits(ViewTracker views, SiloBinding silo, Clock clock, Executor executor) {
        this.views = views;
        this.silo = silo;
        this.clock = clock;
        this.executor = executor;
    }

    /**
     * Serves a call at once, on this thread, when this silo's view is as new as its sender's and none of that
     * sender's calls is parked; otherwise parks it, asks membership to be read again, and serves it later.
     * @param request the call
     * @param serve what serves it, with this silo's view at that moment
     */
    void admit(Envelope request, Consumer<Envelope> serve) {
        SeenView seen = SeenView.of(request);
        boolean behind = this.views.isBehind(seen);
        if (behind) {
            this.silo.refreshFor(seen);
        }
        SenderQueue armed;
        synchronized (this) {
            SenderQueue queue = this.queues.get(request.sourceSiloId());
            if (queue == null) {
                long wait = waitMillis(request);
                if (!behind || wait <= 0) {
                    armed = null;
                }
                else {
                    queue = new SenderQueue(request.sourceSiloId(), serve);
                    this.queues.put(request.sourceSiloId(), queue);
                    queue.parked.add(new Parked(request, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(wait)));
                    armed = queue;
                }
            }
            else {
                queue.parked.add(new Parked(request,
                        System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Math.max(0, waitMillis(request)))));
                return;
            }
        }
        if (armed == null) {
            serve.accept(request);
        }
        else {
            arm(armed);
        }
    }

    /**
     * Returns how many calls are parked or being served after their wait: until they are served, nothing
     * else counts them as in progress.
     */
    synchronized int size() {
        return this.serving + this.queues.values().stream().mapToInt((queue) -> queue.parked.size()).sum();
    }

    private long waitMillis(Envelope request) {
        return Math.min(MAX_WAIT_MILLIS, request.deadlineEpochMillis() - this.clock.millis());
    }

    /** Drains a sender's queue once its head's version is read or its wait is over. */
    private void arm(SenderQueue queue) {
        Parked head;
        synchronized (this) {
            head = queue.parked.peek();
        }
        if (head == null) {
            return;
        }
        long remaining = Math.max(0, head.waitUntilNanos - System.nanoTime());
        this.views.awaitView(SeenView.of(head.request))
            .orTimeout(remaining, TimeUnit.NANOSECONDS)
            .whenCompleteAsync((view, late) -> drain(queue), this.executor)
            .whenComplete((ignored, rejected) -> {
                if (rejected != null && rejected.getCause() instanceof RejectedExecutionException) {
                    logger.debug("Dropped the calls parked for a newer view from silo {}: the routing closed",
                            queue.sender);
                }
            });
    }

    /**
     * Serves, in order, the sender's parked calls whose version this silo has read or whose wait is over; parks
     * the rest until their turn. A call whose serving fails is logged and the others are served all the same;
     * the queue is never left without a wait armed.
     */
    private void drain(SenderQueue queue) {
        boolean settled = false;
        try {
            settled = drainReady(queue);
        }
        finally {
            if (!settled) {
                settle(queue);
            }
        }
    }

    /** Serves the ready calls until none is; returns whether the queue is settled (removed or armed). */
    private boolean drainReady(SenderQueue queue) {
        while (true) {
            List<Envelope> ready = new ArrayList<>();
            boolean more;
            synchronized (this) {
                long now = System.nanoTime();
                Parked head = queue.parked.peek();
                while (head != null
                        && (head.waitUntilNanos <= now || !this.views.isBehind(SeenView.of(head.request)))) {
                    ready.add(queue.parked.poll().request);
                    head = queue.parked.peek();
                }
                if (ready.isEmpty()) {
                    more = head != null;
                    if (!more) {
                        this.queues.remove(queue.sender);
                    }
                }
                else {
                    more = false;
                    this.serving += ready.size();
                }
            }
            if (ready.isEmpty()) {
                if (more) {
                    arm(queue);
                }
                return true;
            }
            // Still in the map while these are served, so that the sender's next calls queue behind them.
            for (int i = 0; i < ready.size(); i++) {
                serveOne(queue, ready.get(i), ready.size() - i - 1);
            }
        }
    }

    private void serveOne(SenderQueue queue, Envelope request, int stillHeld) {
        boolean served = false;
        try {
            queue.serve.accept(request);
            served = true;
        }
        catch (RuntimeException ex) {
            served = true;
            logger.warn("Serving {} parked for a newer view from silo {} failed; its caller gets no answer from "
                    + "this silo", request, queue.sender, ex);
        }
        finally {
            synchronized (this) {
                // A call that threw an error releases the rest of its batch too: nothing serves them now.
                this.serving -= served ? 1 : stillHeld + 1;
            }
        }
    }

    /** After a drain ended abruptly: removes the sender's queue when nothing is parked, else waits again. */
    private void settle(SenderQueue queue) {
        boolean more;
        synchronized (this) {
            more = !queue.parked.isEmpty();
            if (!more) {
                this.queues.remove(queue.sender, queue);
            }
        }
        if (more) {
            arm(queue);
        }
    }

    private record Parked(Envelope request, long waitUntilNanos) {
    }

    private static final class SenderQueue {

        private final String sender;

        private final Consumer<Envelope> serve;

        private final ArrayDeque<Parked> parked = new ArrayDeque<>();

        SenderQueue(String sender, Consumer<Envelope> serve) {
            this.sender = sender;
            this.serve = serve;
        }
    }
}
