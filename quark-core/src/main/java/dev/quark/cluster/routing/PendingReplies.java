package dev.quark.cluster.routing;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import dev.quark.cluster.SiloNotServingException;
import dev.quark.cluster.SiloUnavailableException;
import dev.quark.cluster.membership.ClusterView;
import dev.quark.cluster.membership.SiloEntry;
import dev.quark.cluster.membership.SiloStatus;
import dev.quark.cluster.transport.Envelope;
import dev.quark.runtime.routing.DeadlineSweep;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The correlation table: the requests this silo sent that wait for an answer, by message id. An answer
 * completes its request; the deadline fails it; and a new view in which the target silo is dead, gone or a
 * new incarnation fails it at once with a {@link SiloUnavailableException}, rather than after the deadline. A
 * request may be registered so that the failures that leave unknown whether it was handled (its link broke
 * after it was written, its target is gone) come as an {@link OutcomeInDoubt} around that failure.
 * Failures are completed on the given executor, never on the thread of a view change or of the sweeper, while the
 * routing runs: once it closed, a request registered then fails on its caller's thread, and a failure the closed
 * executor refuses is completed on the failing thread, so that no request waits for ever.
 * <p>
 * Deadlines are kept by the runtime's {@link DeadlineSweep} mechanism, the one behind its call timeouts: the
 * waiting requests, linked in deadline order through their entries, and one sweeper thread per silo; not a
 * scheduled task per request.
 */
final class PendingReplies extends DeadlineSweep<PendingReplies.Pending> {

    private static final Logger logger = LoggerFactory.getLogger(PendingReplies.class);

    /** How long a request to a silo just shown dead still waits for an answer that may be on its way. */
    static final Duration DEPARTURE_GRACE = Duration.ofMillis(500);

    private final Map<Long, Pending> pending = new ConcurrentHashMap<>();

    /** How many of the waiting requests are {@link Pending#protocol protocol} ones: counted, not scanned for. */
    private final AtomicLong protocolWaiting = new AtomicLong();

    private final String self;

    private final Clock clock;

    private final Executor executor;

    /** Why the requests were abandoned, once they were; guarded by {@link #lock}. */
    private @Nullable String closedFor;

    PendingReplies(String self, Clock clock, Executor executor) {
        super("quark-replies-" + self);
        this.self = self;
        this.clock = clock;
        this.executor = executor;
    }

    /**
     * Registers a request that waits for an answer.
     * @param messageId the request's message id, which its answer carries as correlation id
     * @param target the silo the request goes to
     * @param deadlineMillis when to give up, in epoch milliseconds of the clock
     * @param expired what to fail the request with at its deadline
     * @param description what waits, for the message of a failure
     * @param marksDoubt whether a failure that leaves unknown whether the request was handled is an
     * {@link OutcomeInDoubt} around the failure
     * @param protocol whether it is one of this silo's own requests that the wait for idle waits for
     * ({@link #awaitsProtocolAnswers}): a hand-off or a directory request, not an actor call (the calls made before
     * the wait are counted apart, {@link CallsBeforeIdleWait}) nor a probe (the membership agent probes for ever)
     * @return the stage the answer completes
     */
    CompletableFuture<Envelope> register(long messageId, Peer target, long deadlineMillis,
            Supplier<? extends Throwable> expired, String description, boolean marksDoubt, boolean protocol) {
        CompletableFuture<Envelope> answer = new CompletableFuture<>();
        long delayMillis = Math.max(0, deadlineMillis - this.clock.millis());
        Pending entry = new Pending(messageId, target.siloId(), target.epoch(), answer, description, expired,
                System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(delayMillis), marksDoubt, protocol);
        if (protocol) {
            this.protocolWaiting.incrementAndGet();
        }
        this.pending.put(messageId, entry);
        boolean wake = false;
        String closedFor;
        synchronized (this.lock) {
            closedFor = this.closedFor;
            if (closedFor == null) {
                entry.linked = true;
                wake = linkLocked(entry);
            }
        }
        if (closedFor != null) {
            // Closed before or while it was registered: no sweep will expire it, and the close's own pass may have
            // missed it, so it fails here rather than waiting for ever. The routing closes its transport before
            // this, so the request is never sent: it ran nowhere.
            if (this.pending.remove(messageId, entry)) {
                removed(entry);
                answer.completeExceptionally(new SiloNotServingException("Silo " + this.self + " is not serving: "
                        + description + " was not sent, since " + closedFor));
            }
            return answer;
        }
        if (wake) {
            wake();
        }
        return answer;
    }

    /**
     * Completes the request an answer belongs to, when the answer comes from the silo the request went to: every
     * silo answers what it was sent under its own id (one that passes a call on answers it itself), and message ids
     * are a counter, so that an answer from any other silo is a forgery (or a mistake) that must not complete a call.
     * An answer that completes nothing is dropped, logged at DEBUG with the reason.
     * @return whether a request waited for it
     */
    boolean complete(Envelope answer) {
        Pending entry = this.pending.get(answer.correlationId());
        if (entry != null && !entry.targetSilo.equals(answer.sourceSiloId())) {
            logger.debug("Silo {} dropped {}: it answers a request that went to silo {}", this.self, answer,
                    entry.targetSilo);
            return false;
        }
        if (entry == null || !this.pending.remove(answer.correlationId(), entry)) {
            logger.debug("Silo {} dropped {}: nobody waits for it any more", this.self, answer);
            return false;
        }
        removed(entry);
        unlink(entry);
        entry.answer.complete(answer);
        return true;
    }

    /**
     * Fails one request, if it still waits: it was not handled, or its deadline passed.
     */
    void fail(long messageId, Throwable failure) {
        fail(messageId, failure, false, false);
    }

    /**
     * Fails one request that may or may not have been handled, if it still waits: the link it was written to
     * broke, or its target is gone.
     */
    void failInDoubt(long messageId, Throwable failure) {
        fail(messageId, failure, true, false);
    }

    private void fail(long messageId, Throwable failure, boolean inDoubt, boolean linkBroke) {
        Pending entry = this.pending.remove(messageId);
        if (entry != null) {
            removed(entry);
            unlink(entry);
            Throwable completion = (inDoubt && entry.marksDoubt)
                    ? new OutcomeInDoubt(failure, linkBroke ? entry.targetEpoch : OutcomeInDoubt.NO_LINK) : failure;
            try {
                this.executor.execute(() -> entry.answer.completeExceptionally(completion));
            }
            catch (RejectedExecutionException closed) {
                // The routing closed its executor: failed here rather than never.
                entry.answer.completeExceptionally(completion);
            }
        }
    }

    /**
     * Fails one request whose link the transport reports broken or closed before its answer came, as
     * {@link #failInDoubt} does but marked as this silo's own link breaking, unless it waits out its
     * {@link #DEPARTURE_GRACE}: its target was shown dead, in this view or one already seen, and an answer may
     * still come on the target's own link to this silo (the transport closes this silo's links to a silo shown
     * dead right away); the grace's end fails it. The view is looked at here, so that it does not matter whether
     * the transport closes the link before or after {@link #failTargetsGoneIn} has seen the view.
     * @param current this silo's current view
     */
    void failLinkInDoubt(long messageId, Throwable failure, ClusterView current) {
        Pending entry = this.pending.get(messageId);
        if (entry == null || entry.graced) {
            return;
        }
        SiloEntry target = current.membership().silos().get(entry.targetSilo);
        if (target != null && target.status() == SiloStatus.DEAD && target.epoch() == entry.targetEpoch) {
            graceDeparted(messageId, entry, current, "was declared dead");
        }
        else {
            fail(messageId, failure, true, true);
        }
    }

    /**
     * Fails the requests whose target silo a new view shows dead, gone, or running as a new incarnation: their
     * answers will never come. A target shown dead in the incarnation the request went to may have answered just
     * before it left (a leaving silo answers its last calls, then writes itself dead): its requests get
     * {@link #DEPARTURE_GRACE} for an answer already on its way, then fail. The others fail at once.
     */
    void failTargetsGoneIn(ClusterView view) {
        List<Long> gone = new ArrayList<>();
        this.pending.forEach((messageId, entry) -> {
            SiloEntry target = view.membership().silos().get(entry.targetSilo);
            if (target == null || target.status() == SiloStatus.DEAD || target.epoch() != entry.targetEpoch) {
                gone.add(messageId);
            }
        });
        for (long messageId : gone) {
            Pending entry = this.pending.get(messageId);
            if (entry != null) {
                SiloEntry target = view.membership().silos().get(entry.targetSilo);
                boolean departed = target != null && target.status() == SiloStatus.DEAD
                        && target.epoch() == entry.targetEpoch;
                String what = (target == null) ? "left the cluster"
                        : (target.status() == SiloStatus.DEAD) ? "was declared dead"
                                : "restarted as incarnation " + target.epoch();
                if (departed) {
                    graceDeparted(messageId, entry, view, what);
                }
                else {
                    failInDoubt(messageId, gone(entry, what, view));
                }
            }
        }
    }

    /** Lets a request whose target was shown dead wait {@link #DEPARTURE_GRACE} for its answer, then fails it. */
    private void graceDeparted(long messageId, Pending entry, ClusterView view, String what) {
        synchronized (entry) {
            if (entry.graced) {
                return;
            }
            entry.graced = true;
        }
        SiloUnavailableException failure = gone(entry, what, view);
        CompletableFuture.delayedExecutor(DEPARTURE_GRACE.toMillis(), TimeUnit.MILLISECONDS, this.executor)
            .execute(() -> failInDoubt(messageId, failure));
    }

    private static SiloUnavailableException gone(Pending entry, String what, ClusterView view) {
        return new SiloUnavailableException("Silo " + entry.targetSilo + " " + what + " (membership version "
                + view.version() + ") while " + entry.description + " waited for its answer; it may or may not have "
                + "run there");
    }

    /**
     * Returns how many requests wait for an answer.
     */
    int size() {
        return this.pending.size();
    }

    private void unlink(Pending entry) {
        synchronized (this.lock) {
            if (entry.linked) {
                unlinkLocked(entry);
            }
        }
    }

    @Override
    protected long deadlineNanos(Pending entry) {
        return entry.deadlineNanos;
    }

    @Override
    protected @Nullable Pending previous(Pending entry) {
        return entry.previous;
    }

    @Override
    protected void previous(Pending entry, @Nullable Pending previous) {
        entry.previous = previous;
    }

    @Override
    protected @Nullable Pending next(Pending entry) {
        return entry.next;
    }

    @Override
    protected void next(Pending entry, @Nullable Pending next) {
        entry.next = next;
    }

    @Override
    protected void unlinked(Pending entry) {
        entry.linked = false;
    }

    @Override
    protected void expire(Pending entry) {
        if (this.pending.get(entry.messageId) == entry) {
            fail(entry.messageId, entry.expired.get());
        }
    }

    /**
     * Fails every waiting request and stops the sweeper.
     */
    void close(String reason) {
        synchronized (this.lock) {
            this.closedFor = reason;
        }
        for (Long messageId : List.copyOf(this.pending.keySet())) {
            Pending entry = this.pending.get(messageId);
            if (entry != null) {
                // A call was handed over: whether it ran there is not known.
                fail(messageId, new SiloUnavailableException(entry.description + " was abandoned: " + reason
                        + (entry.marksDoubt ? "; it may or may not have run on silo " + entry.targetSilo : "")));
            }
        }
        super.close();
    }

    @Override
    public void close() {
        close("the silo closed");
    }

    /**
     * Returns whether one of this silo's own requests that the wait for idle waits for still waits for its answer.
     */
    boolean awaitsProtocolAnswers() {
        return this.protocolWaiting.get() > 0;
    }

    /** Returns how many of this silo's own requests that the wait for idle waits for wait for their answers. */
    long protocolRequests() {
        return this.protocolWaiting.get();
    }

    private void removed(Pending entry) {
        if (entry.protocol) {
            this.protocolWaiting.decrementAndGet();
        }
    }

    /** A request that waits; its links and {@link #linked} are guarded by the sweep's lock. */
    static final class Pending {

        final long messageId;

        final String targetSilo;

        final long targetEpoch;

        final CompletableFuture<Envelope> answer;

        final String description;

        final Supplier<? extends Throwable> expired;

        final long deadlineNanos;

        final boolean marksDoubt;

        /** Whether the wait for idle waits for it: a hand-off or a directory request of this silo's own. */
        final boolean protocol;

        /** Whether its target was shown dead and it waits out the departure grace. */
        volatile boolean graced;

        @Nullable Pending previous;

        @Nullable Pending next;

        boolean linked;

        Pending(long messageId, String targetSilo, long targetEpoch, CompletableFuture<Envelope> answer,
                String description, Supplier<? extends Throwable> expired, long deadlineNanos, boolean marksDoubt,
                boolean protocol) {
            this.protocol = protocol;
            this.messageId = messageId;
            this.targetSilo = targetSilo;
            this.targetEpoch = targetEpoch;
            this.answer = answer;
            this.description = description;
            this.expired = expired;
            this.deadlineNanos = deadlineNanos;
            this.marksDoubt = marksDoubt;
        }
    }
}
