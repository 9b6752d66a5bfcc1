package dev.quark.cluster.routing;

import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import dev.quark.actor.ActorCallExpiredException;
import dev.quark.actor.ActorCallTimeoutException;
import dev.quark.actor.CallRejectedException;
import dev.quark.cluster.CallForwardingException;
import dev.quark.cluster.NoActiveSiloException;
import dev.quark.cluster.SiloNotServingException;
import dev.quark.cluster.SiloUnavailableException;
import dev.quark.cluster.membership.ClusterView;
import dev.quark.cluster.membership.SiloEntry;
import dev.quark.cluster.membership.SiloStatus;
import dev.quark.cluster.placement.HashPlacementDirector;
import dev.quark.cluster.placement.PlacementDirector;
import dev.quark.cluster.placement.PlacementStrategy;
import dev.quark.cluster.placement.SiloChooser;
import dev.quark.cluster.transport.Envelope;
import dev.quark.cluster.transport.PayloadCodec;
import dev.quark.cluster.transport.SiloUnreachableException;
import dev.quark.runtime.ActorAddress;
import dev.quark.runtime.ActorCall;
import dev.quark.runtime.MethodDescriptor;
import dev.quark.runtime.routing.ActorLocation;
import dev.quark.runtime.routing.ActorLocator;
import dev.quark.runtime.routing.InboundCall;
import dev.quark.runtime.routing.ReroutedCall;
import dev.quark.runtime.routing.RemoteCallSender;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The caller's side of calls between silos: tells the runtime which silo owns an actor (placement over the
 * current view) and carries calls to other silos: encodes the arguments, sends a request or one-way
 * envelope, and completes the call with the decoded answer, or fails it with a
 * {@link SiloUnavailableException} when the target cannot be reached or is declared dead while the call
 * waits, or with an {@link ActorCallTimeoutException} at the call's deadline.
 * <p>
 * A call the target refused without running it, because that silo is leaving or not serving (it has left the
 * cluster, and this silo still routes with a view in which it owned the actor), is routed again: this silo reads
 * membership up to the version the refusal carries, without blocking a thread (for at most the catch-up wait,
 * {@link #DEFAULT_CATCH_UP_WAIT} unless {@link SiloRouting.Builder#catchUpWait} says otherwise, and never past the
 * call's deadline), locates the actor again and sends the call
 * there, or delivers it here when this silo owns it now. At most {@link #MAX_REROUTES} times, and only while
 * the view moved on or names another silo; otherwise the refusal is the call's outcome.
 * <p>
 * A call (or one-way message) the transport could not hand over to its target because it could not reach it
 * ({@link NotHandedOver#isUnreached}), so that it was not delivered there (typically a silo that left and closed its
 * transport while this silo's view still named it), is routed
 * again the same way, within the same bound of re-routes, when {@link UnsentCalls} says this silo has learnt
 * something since it sent it (its view moved on, or shows the target leaving, dead, gone or restarted, reading
 * membership again for at most the same catch-up wait and never past the call's deadline);
 * otherwise it fails with a {@link SiloUnavailableException} that says why it was not routed again. The other
 * failures of a send (back-pressure, an envelope too large or beyond the bounds silos receive within, a refused
 * handshake) are the call's outcome at once; an envelope too large or beyond those bounds, refused by this silo's
 * transport or by the receiving silo, fails the call with a {@link CallRejectedException} (never routed again nor
 * retried: it would be refused again), counted as {@link RoutingMetrics#rejected} rather than as failed, and a
 * one-way call whose envelope this silo's transport refused after the call returned (routed again after its first
 * silo could not be reached), whose caller is not told, is logged at WARN.
 * <p>
 * Whatever a step of routing a call again throws fails the call: it never waits for an outcome nothing completes.
 * <p>
 * A call whose outcome on the other silo is unknown, because the link it was written to broke before its answer
 * came or that silo was declared dead, left or restarted while the call waited, fails with a
 * {@link SiloUnavailableException} that says it may or may not have run there; unless its method is
 * {@link dev.quark.actor.Idempotent}: then it is sent once more, located afresh with this silo's current view
 * (to the actor's new owner, or here), with the call's original deadline. When the retry's outcome is unknown
 * too, or the silo it went to could not serve it, the call fails with a {@code SiloUnavailableException} that
 * says it was retried once; a failure the actor threw, and the timeout at the deadline, are the call's outcome
 * as they are.
 */
final class ClusterRouter implements ActorLocator, RemoteCallSender {

    private static final Logger logger = LoggerFactory.getLogger(ClusterRouter.class);

    /** How many times a call refused without being run is routed again at most. */
    static final int MAX_REROUTES = 3;

    /**
     * How long a refused call, or one that could not be handed over, waits at most for this silo to read a newer
     * membership view, unless the routing is built with another wait.
     */
    static final Duration DEFAULT_CATCH_UP_WAIT = Duration.ofMillis(ViewWaits.MAX_WAIT_MILLIS);

    /**
     * How long the retry of an idempotent call waits at most, when the silo whose outcome is unknown is still the
     * owner in this view, for a newer view or for this silo's link to it to be up again, whichever comes first:
     * longer than a link's first reconnect back-off, short of most deadlines.
     */
    private static final long RETRY_VIEW_WAIT_MILLIS = 2_000;

    /** What {@link #locateForRetry} returns when it failed the call. */
    private static final String NOT_LOCATED = "";

    private final String self;

    private final ViewTracker views;

    private final PlacementDirector placement;

    private final Messenger messenger;

    private final DroppedOneWayLog droppedOneWays = new DroppedOneWayLog(logger, "this silo refused to send");

    /**
     * The one-way calls of this silo's own that were not delivered for another reason than a refusal to send them
     * (not handed over and not routed again, back-pressure, their deadline passed, nowhere to route them again):
     * their callers returned when they sent them, so the log is all that tells of them beside the count of failures.
     */
    private final DroppedOneWayLog unsentOneWays = new DroppedOneWayLog(logger, "this silo could not hand over");

    /**
     * Whether this thread is inside {@link #send}: a one-way call refused while it is has its caller told (the
     * call fails before {@code send} returns, and {@code CallRouter} throws the refusal), one refused later (routed
     * again after its first silo could not be reached) does not, and only that one is logged as dropped.
     */
    private final ThreadLocal<Boolean> inSend = ThreadLocal.withInitial(() -> Boolean.FALSE);

    private final CallsBeforeIdleWait callsBeforeIdleWait;

    private final SiloBinding silo;

    private final Clock clock;

    private final RoutingMetrics metrics;

    private final ConcurrentHashMap<String, ActorLocation> locations = new ConcurrentHashMap<>();

    private final DistributedDirectory directory;

    private final Executor executor;

    private final UnsentCalls unsentCalls;

    private final CallbacksElsewhere callbacks;

    /** Whether placement is the built-in consistent hash, whose answers depend on the view alone. */
    private final boolean hashPlacement;

    /** How long a refused call waits at most for this silo to read the refusing silo's membership version. */
    private final long catchUpMillis;

    ClusterRouter(String self, ViewTracker views, PlacementDirector placement, Messenger messenger,
            SiloBinding silo, Clock clock, RoutingMetrics metrics, DistributedDirectory directory,
            Executor executor, Duration catchUpWait, UnsentCalls unsentCalls, CallbacksElsewhere callbacks,
            CallsBeforeIdleWait callsBeforeIdleWait) {
        this.callsBeforeIdleWait = callsBeforeIdleWait;
        this.callbacks = callbacks;
        this.directory = directory;
        this.executor = executor;
        this.metrics = metrics;
        this.self = self;
        this.views = views;
        this.placement = placement;
        this.messenger = messenger;
        this.silo = silo;
        this.clock = clock;
        this.hashPlacement = placement instanceof HashPlacementDirector;
        this.catchUpMillis = catchUpWait.toMillis();
        this.unsentCalls = unsentCalls;
    }

    /**
     * Stamps the answers of hash placement with the count of views installed ({@link ViewTracker#installs}),
     * all they depend on while this silo serves: a reference keeps its actor's owner until the view changes.
     * Not the view's version, which a view of a new incarnation of the table (it lost its data) may repeat.
     * Nothing is kept while this silo does not serve: whether it serves follows its table renewals (fenced and
     * unfenced within one view), so a kept answer could flip back and forth under one stamp and a fenced silo
     * would go on running calls for actors it hosts. Directory and local placements, and placement directors
     * other than the built-in one, are asked on every call.
     */
    @Override
    public long locationStamp(ActorAddress address) {
        if (!this.hashPlacement) {
            return NOT_CACHEABLE;
        }
        PlacementStrategy strategy = this.silo.placements().strategyOf(address.typeName());
        if (strategy.usesDirectory() || strategy.servesLocally()) {
            return NOT_CACHEABLE;
        }
        if (!this.silo.isServing()) {
            return NOT_CACHEABLE;
        }
        return this.views.installs();
    }

    @Override
    public ActorLocation locate(ActorAddress address) {
        return locate(address, this.views.current());
    }

    /** Locates an actor in a given view, so that a caller can judge the answer against that same view. */
    private ActorLocation locate(ActorAddress address, ClusterView view) {
        PlacementStrategy strategy = this.silo.placements().strategyOf(address.typeName());
        String owner = strategy.usesDirectory() ? placedByDirectory(address, strategy, view)
                : strategy.servesLocally() ? SiloChooser.choose(address, strategy, view, this.self, this.silo.isServing())
                : this.placement.ownerOf(address, view);
        if (owner == null) {
            if (view.ring().silos().isEmpty()) {
                throw new NoActiveSiloException("Cannot call " + address + " from " + this.self
                        + ": no silo is active in the cluster (membership version " + view.version() + ")");
            }
            throw new SiloUnavailableException("Cannot call " + address + " from silo " + this.self
                    + ": no active silo hosts actor type '" + address.typeName() + "' (membership version "
                    + view.version() + ")");
        }
        if (owner.equals(this.self)) {
            if (!this.silo.isServing()) {
                throw new SiloNotServingException("Silo " + this.self + " owns " + address
                        + " but is not serving (membership version " + view.version() + ")");
            }
            return ActorLocation.LOCAL;
        }
        return this.locations.computeIfAbsent(owner, ActorLocation::remote);
    }

    /**
     * Where to send a call to an actor placed by the directory: where it lives when this silo knows, otherwise
     * the silo its placement chooses, which registers it or passes the call on to the registered activation.
     */
    private @Nullable String placedByDirectory(ActorAddress address, PlacementStrategy strategy, ClusterView view) {
        String known = this.directory.knownLocation(address, view);
        return (known != null) ? known
                : SiloChooser.choose(address, strategy, view, this.self, this.silo.isServing());
    }

    @Override
    public CompletionStage<@Nullable Object> send(String siloId, ActorCall call) {
        CompletableFuture<@Nullable Object> outcome = new CompletableFuture<>();
        ReroutedCall rerouted = (call instanceof ReroutedCall view) ? view : null;
        boolean counted = this.callsBeforeIdleWait.started(rerouted != null && rerouted.relocated());
        Boolean outer = this.inSend.get();
        this.inSend.set(Boolean.TRUE);
        try {
            attempt(siloId, call, (rerouted != null) ? rerouted.reroutes() : 0,
                    rerouted != null && rerouted.retried(), outcome);
        }
        catch (RuntimeException | Error ex) {
            // The outcome's callback below is never registered: the call ends here.
            if (counted) {
                this.callsBeforeIdleWait.ended();
            }
            throw ex;
        }
        finally {
            this.inSend.set(outer);
        }
        boolean oneWay = call.method().kind() == MethodDescriptor.CallKind.ONE_WAY;
        outcome.whenComplete((ignored, failure) -> {
            if (counted) {
                this.callsBeforeIdleWait.ended();
            }
            if (failure != null) {
                // A rejection is counted where it is made (rejection, rejectedOnTheWay), once, not here: the
                // outcome may carry one that a nested send already counted, or that a turn on another silo let
                // escape from a call it made itself.
                Throwable cause = Messenger.unwrap(failure);
                if (cause instanceof SiloUnavailableException || cause instanceof CallForwardingException
                        || cause instanceof SiloNotServingException) {
                    this.metrics.failedForMembership(cause);
                }
                if (oneWay && !(cause instanceof CallRejectedException)) {
                    // Its caller returned when it sent it and is never told; a rejection is thrown to the caller
                    // or logged where it is made (rejection).
                    this.unsentOneWays.dropped(describe(call), siloId, String.valueOf(cause.getMessage()));
                }
            }
        });
        return outcome;
    }

    /**
     * Sends a call to a silo and completes the outcome with its answer, or routes it again when that silo
     * refused it without running it, or sends it once more when its method is idempotent and its outcome there
     * is unknown.
     * @param retried whether this is the one retry of an idempotent call whose first outcome was unknown
     */
    private void attempt(String siloId, ActorCall call, int reroutes, boolean retried,
            CompletableFuture<@Nullable Object> outcome) {
        ClusterView view = this.views.current();
        CompletableFuture<@Nullable Object> sent;
        try {
            sent = sendTo(siloId, call, view);
        }
        catch (RuntimeException ex) {
            // A transport or codec that throws where it should fail a stage: the call is failed, not left waiting.
            sent = CompletableFuture.failedFuture(ex);
        }
        sent.whenComplete((result, failure) -> {
            try {
                settle(siloId, call, reroutes, retried, view, result, failure, outcome);
            }
            catch (RuntimeException ex) {
                // A re-route that could not even start (membership stopping under a refresh it asks for): the call
                // fails rather than waiting for ever, and a silo's wait for idle is not held by it.
                outcome.completeExceptionally(ex);
            }
        });
    }

    /** Completes a call's outcome with what one attempt gave, or routes or sends it again. */
    private void settle(String siloId, ActorCall call, int reroutes, boolean retried, ClusterView view,
            @Nullable Object result, @Nullable Throwable failure, CompletableFuture<@Nullable Object> outcome) {
        if (failure == null) {
            outcome.complete(result);
            return;
        }
        Throwable cause = Messenger.unwrap(failure);
        if (cause instanceof OutcomeInDoubt doubt) {
            Throwable unknown = Objects.requireNonNull(doubt.getCause());
            if (retried) {
                outcome.completeExceptionally(retriedOnce(call, unknown));
            }
            else if (call.method().idempotent()) {
                retry(siloId, call, reroutes, doubt, outcome);
            }
            else {
                outcome.completeExceptionally(unknown);
            }
            return;
        }
        if (cause instanceof NotHandedOver unsent) {
            rerouteUnsent(call, unsent, view, reroutes, retried, outcome);
            return;
        }
        if (cause instanceof NotDelivered refused) {
            if (reroutes < MAX_REROUTES) {
                reroute(call, refused, view, reroutes + 1, retried, outcome);
            }
            else {
                outcome.completeExceptionally(Objects.requireNonNull(refused.getCause()));
            }
            return;
        }
        outcome.completeExceptionally(cause);
    }

    /**
     * Sends once more an idempotent call whose outcome on a silo is unknown: routed afresh with this silo's
     * current view, within the call's original deadline (the retry's wait for an answer ends at it).
     */
    private void retry(String siloId, ActorCall call, int reroutes, OutcomeInDoubt doubt,
            CompletableFuture<@Nullable Object> outcome) {
        Throwable unknown = Objects.requireNonNull(doubt.getCause());
        if (call.deadlineEpochMillis() <= this.clock.millis()) {
            outcome.completeExceptionally(unknown);
            return;
        }
        ClusterView seen = this.views.current();
        routeOn(() -> {
                ClusterView located = this.views.current();
                String target = locateForRetry(call, located, unknown, outcome);
                if (target == null || !target.equals(siloId)) {
                    sendRetry(target, siloId, call, reroutes, unknown, outcome);
                    return;
                }
                // Still the owner in this view: either the silo merely lost the stream, and the retry goes out as
                // soon as this silo's link to it is up again, or it crashed, which breaks its streams long before
                // membership drops it, and a newer view names the new owner. Whichever comes first, within the
                // deadline. The link is waited for only when it was this silo's own link that broke (not when the
                // silo that passed the call on reported the outcome unknown: its route may be stale) and the view
                // the retry was located with still shows that incarnation of the silo alive.
                long wait = Math.min(RETRY_VIEW_WAIT_MILLIS, call.deadlineEpochMillis() - this.clock.millis());
                if (wait <= 0) {
                    outcome.completeExceptionally(unknown);
                    return;
                }
                CompletableFuture<@Nullable Void> ready = new CompletableFuture<>();
                CompletableFuture<ClusterView> newerView = this.views.awaitNewerThan(seen)
                    .orTimeout(wait, TimeUnit.MILLISECONDS);
                newerView.whenComplete((newer, late) -> ready.complete(null));
                SiloEntry owner = located.membership().silos().get(siloId);
                if (doubt.linkBroke() && !newerView.isDone() && owner != null && owner.status() != SiloStatus.DEAD
                        && owner.epoch() == doubt.linkBrokenToEpoch()) {
                    this.messenger.reconnected(Peer.of(owner)).whenComplete((up, down) -> {
                        if (down == null) {
                            ready.complete(null);
                        }
                    });
                }
                ready.whenComplete((readyNow, never) -> routeOn(() -> {
                    newerView.cancel(false);
                    sendRetry(locateForRetry(call, this.views.current(), unknown, outcome), siloId, call, reroutes,
                            unknown, outcome);
                }, outcome, () -> unknown));
            }, outcome, () -> unknown);
    }

    /**
     * Runs a step of routing a call again on the executor. A step that throws fails the call with what it threw,
     * and when the routing closed (the executor refuses the step) the call fails with the given failure: either
     * way it does not wait for ever.
     * @param step the step
     * @param outcome the call's outcome
     * @param ifClosed what the call fails with when the routing closed, made only then
     */
    private void routeOn(Runnable step, CompletableFuture<@Nullable Object> outcome,
            Supplier<? extends Throwable> ifClosed) {
        try {
            this.executor.execute(() -> {
                try {
                    step.run();
                }
                catch (RuntimeException ex) {
                    outcome.completeExceptionally(ex);
                }
            });
        }
        catch (RejectedExecutionException ex) {
            // The routing closed: nothing routes the call any more.
            outcome.completeExceptionally(ifClosed.get());
        }
    }

    /**
     * Locates a call for its retry; a failure to locate it fails the call (with the unknown outcome suppressed)
     * and returns {@link #NOT_LOCATED}.
     */
    private @Nullable String locateForRetry(ActorCall call, ClusterView view, Throwable unknown,
            CompletableFuture<@Nullable Object> outcome) {
        try {
            return locate(call.address(), view).siloId();
        }
        catch (RuntimeException ex) {
            ex.addSuppressed(unknown);
            outcome.completeExceptionally(ex);
            return NOT_LOCATED;
        }
    }

    private void sendRetry(@Nullable String target, String firstSilo, ActorCall call, int reroutes, Throwable unknown,
            CompletableFuture<@Nullable Object> outcome) {
        if (outcome.isDone()) {
            return;
        }
        if (call.deadlineEpochMillis() <= this.clock.millis()) {
            outcome.completeExceptionally(unknown);
            return;
        }
        this.metrics.retried(firstSilo);
        if (target == null) {
            deliverHere(call, reroutes, true, outcome);
        }
        else {
            attempt(target, call, reroutes, true, outcome);
        }
    }

    /**
     * The failure of a call sent once more after an unknown outcome, when the retry did not answer either: a
     * {@link SiloUnavailableException} that says so.
     */
    private SiloUnavailableException retriedOnce(ActorCall call, Throwable failure) {
        return new SiloUnavailableException("Idempotent " + describe(call) + " from silo " + this.self
                + " was retried once after an unknown outcome, and the retry failed too: " + failure.getMessage(),
                failure);
    }

    /**
     * Routes again a call that a silo refused without running it, once this silo's view is as new as that
     * silo's (or the wait for it ended): to the silo that owns the actor now, or here.
     */
    private void reroute(ActorCall call, NotDelivered refused, ClusterView sentWith, int reroutes, boolean retried,
            CompletableFuture<@Nullable Object> outcome) {
        Throwable refusal = Objects.requireNonNull(refused.getCause());
        long wait = Math.min(this.catchUpMillis, call.deadlineEpochMillis() - this.clock.millis());
        if (wait <= 0) {
            outcome.completeExceptionally(refusal);
            return;
        }
        if (this.views.isBehind(refused.view)) {
            this.silo.refreshFor(refused.view);
        }
        // Whether the wait ended with the view or at its timeout, the call is routed with the view there is then;
        // only a closed routing fails it with the refusal (never once it may have been sent on).
        this.views.awaitView(refused.view)
            .orTimeout(wait, TimeUnit.MILLISECONDS)
            .whenComplete((caughtUp, late) -> routeOn(() -> {
                ClusterView view = this.views.current();
                ActorLocation location;
                try {
                    location = locate(call.address(), view);
                }
                catch (RuntimeException ex) {
                    outcome.completeExceptionally(ex);
                    return;
                }
                String target = location.siloId();
                if (refused.siloId.equals(target) && !ViewTracker.changedSince(view, sentWith)) {
                    // Nothing learnt: the same silo would refuse it again.
                    outcome.completeExceptionally(refusal);
                    return;
                }
                this.metrics.rerouted(refused.siloId);
                if (target == null) {
                    deliverHere(call, reroutes, retried, outcome);
                }
                else {
                    attempt(target, call, reroutes, retried, outcome);
                }
            }, outcome, () -> refusal));
    }

    /**
     * Routes again a call the transport could not hand over to its target, when {@link UnsentCalls} says so: to
     * the silo that owns the actor now, or here; otherwise fails it with the transport's failure, saying why it
     * was not routed again.
     */
    private void rerouteUnsent(ActorCall call, NotHandedOver unsent, ClusterView sentWith, int reroutes,
            boolean retried, CompletableFuture<@Nullable Object> outcome) {
        Throwable failure = Objects.requireNonNull(unsent.getCause());
        Peer unreached = unsent.target();
        long deadline = call.deadlineEpochMillis();
        boolean oneWay = call.method().kind() == MethodDescriptor.CallKind.ONE_WAY;
        CompletableFuture<@Nullable String> decision;
        try {
            decision = this.unsentCalls.decide(deadline, unsent, sentWith, reroutes, oneWay);
        }
        catch (RuntimeException ex) {
            // Membership stopping under the decision (its executor refusing the read): nothing routes it again.
            outcome.completeExceptionally(
                    notRoutedAgain(failure, "it could not be decided whether to route it again: " + ex));
            return;
        }
        decision.whenComplete((whyNot, never) -> {
            if (whyNot != null) {
                outcome.completeExceptionally(notRoutedAgain(failure, whyNot));
                return;
            }
            routeOn(() -> {
                    ClusterView view = this.views.current();
                    String target;
                    try {
                        target = locate(call.address(), view).siloId();
                    }
                    catch (RuntimeException ex) {
                        ex.addSuppressed(failure);
                        outcome.completeExceptionally(ex);
                        return;
                    }
                    if (UnsentCalls.sameTarget(view, target, unreached)) {
                        outcome.completeExceptionally(notRoutedAgain(failure, "membership version "
                                + view.version() + " still routes it to silo " + unreached.siloId()));
                        return;
                    }
                    this.metrics.rerouted(unreached.siloId());
                    if (target == null) {
                        deliverHere(call, reroutes + 1, retried, outcome);
                    }
                    else {
                        attempt(target, call, reroutes + 1, retried, outcome);
                    }
                }, outcome, () -> notRoutedAgain(failure, "the routing closed"));
        });
    }


    /** The failure of a call that could not be handed over and is not routed again, saying why not. */
    static Throwable notRoutedAgain(Throwable failure, String whyNot) {
        if (!(failure instanceof SiloUnavailableException)) {
            // Not made by this class (the send failures it marks are made SiloUnavailableExceptions): keep its
            // type, and say why it was not routed again all the same.
            failure.addSuppressed(new SiloUnavailableException("not routed again: " + whyNot));
            return failure;
        }
        return new SiloUnavailableException(failure.getMessage() + "; not routed again: " + whyNot,
                failure.getCause());
    }

    /**
     * Delivers a call that came back to this silo, which owns its actor now, through the runtime's inbound
     * side, the way a call from another silo enters; it may wait for room in a full mailbox on this thread. The
     * call keeps its count of re-routes, so that one the directory sends on from here (an entry about to be
     * removed still names the leaving silo) is not routed again without end, and whether it is the retry of an
     * idempotent call, so that a retry sent on from here (a child placed with its parent elsewhere, an entry naming
     * another silo) is not retried once more, and again each time it comes back.
     */
    private void deliverHere(ActorCall call, int reroutes, boolean retried,
            CompletableFuture<@Nullable Object> outcome) {
        CompletableFuture<@Nullable Object> delivered;
        try {
            delivered = this.silo.runtime()
                .inbound()
                .deliver(new InboundCall(call.address(), call.method().id(), call.arguments().toArray(),
                        call.callChainId(), call.requestId(), call.metadata(), call.deadlineEpochMillis(),
                        reroutes, retried));
        }
        catch (RuntimeException ex) {
            outcome.completeExceptionally(ex);
            return;
        }
        if (call.method().kind() == MethodDescriptor.CallKind.ONE_WAY && !delivered.isDone()) {
            // In the mailbox: delivered, as a one-way call sent to another silo is once handed over. Its turn's
            // failure is the turn's to log, not the sender's: the runtime never passes it to a one-way call's future,
            // so one already done here was refused or expired unrun, and is reported below.
            outcome.complete(null);
            return;
        }
        delivered.whenComplete((result, failure) -> {
            if (failure != null) {
                outcome.completeExceptionally(Messenger.unwrap(failure));
            }
            else {
                outcome.complete(result);
            }
        });
    }

    private CompletableFuture<@Nullable Object> sendTo(String siloId, ActorCall call, ClusterView view) {
        MethodDescriptor method = call.method();
        SiloEntry target = view.membership().silos().get(siloId);
        if (target == null) {
            return CompletableFuture.failedFuture(new SiloUnavailableException("Cannot send " + describe(call)
                    + " to silo " + siloId + ": it is not a member in the view of silo " + this.self
                    + " (membership version " + view.version() + ")"));
        }
        NotHandedOver dead = deadSinceRouted(target, call, view);
        if (dead != null) {
            return CompletableFuture.failedFuture(dead);
        }
        long now = this.clock.millis();
        if (call.deadlineEpochMillis() <= now) {
            return CompletableFuture.failedFuture(new ActorCallExpiredException(call.address().toString(),
                    method.name(), now - call.deadlineEpochMillis()));
        }
        PayloadCodec codec = this.silo.codec();
        byte[] payload;
        try {
            payload = codec.encodeArguments(method, call.arguments().toArray());
        }
        catch (RuntimeException ex) {
            return CompletableFuture.failedFuture(ex);
        }
        ClusterView encodedWith = this.views.current();
        SiloEntry stillTarget = encodedWith.membership().silos().get(siloId);
        NotDelivered leaving = leavingSinceRouted(stillTarget, call, encodedWith);
        if (leaving != null) {
            return CompletableFuture.failedFuture(leaving);
        }
        dead = (stillTarget != null) ? deadSinceRouted(stillTarget, call, encodedWith)
                : deadSinceRouted(target.withStatus(SiloStatus.DEAD), call, encodedWith);
        if (dead != null) {
            return CompletableFuture.failedFuture(dead);
        }
        boolean oneWay = method.kind() == MethodDescriptor.CallKind.ONE_WAY;
        Messenger.Message message = new Messenger.Message(oneWay ? Envelope.Kind.ONE_WAY : Envelope.Kind.REQUEST,
                call.address(), method.id(), payload, call.callChainId(), call.requestId(), call.metadata(),
                call.deadlineEpochMillis());
        if (oneWay) {
            CompletableFuture<@Nullable Object> sent = new CompletableFuture<>();
            this.messenger.send(Peer.of(target), message).whenComplete((ignored, failure) -> {
                if (failure != null) {
                    // The send stage fails only when the message was not handed over: it was not delivered. Only
                    // a target that could not be reached makes it one to send elsewhere.
                    Throwable cause = Messenger.unwrap(failure);
                    CallRejectedException rejected = rejection(call, siloId, cause);
                    if (rejected != null && !this.inSend.get()) {
                        // The sender refused the envelope (too large, or beyond the bounds silos receive within): no
                        // retry can help. Its caller is told when the refusal comes before send returns
                        // (CallRouter throws it), not when it comes on a call routed again: only then is it logged.
                        this.droppedOneWays.dropped(describe(call), siloId, String.valueOf(cause.getMessage()));
                    }
                    Throwable reported = (rejected != null) ? rejected : unreachable(call, siloId, cause);
                    sent.completeExceptionally(NotHandedOver.isUnreached(cause)
                            ? new NotHandedOver(reported, Peer.of(target)) : reported);
                }
                else {
                    sent.complete(null);
                }
            });
            return sent;
        }
        Duration timeout = Duration.ofMillis(call.deadlineEpochMillis() - now);
        CompletableFuture<Envelope> answer = this.messenger.call(Peer.of(target), message,
                () -> new ActorCallTimeoutException(call.address().toString(), method.name(), timeout),
                describe(call) + " on silo " + siloId);
        CompletableFuture<@Nullable Object> outcome = new CompletableFuture<>();
        answer.whenComplete((envelope, failure) -> {
            if (failure != null) {
                Throwable cause = Messenger.unwrap(failure);
                if (cause instanceof OutcomeInDoubt doubt) {
                    Throwable unknown = Objects.requireNonNull(doubt.getCause());
                    outcome.completeExceptionally(new OutcomeInDoubt((unknown instanceof SiloUnreachableException)
                            ? unreachable(call, siloId, unknown) : unknown, doubt.linkBrokenToEpoch()));
                }
                else if (cause instanceof NotHandedOver unsent) {
                    Throwable refused = Objects.requireNonNull(unsent.getCause());
                    outcome.completeExceptionally(new NotHandedOver((refused instanceof SiloUnreachableException)
                            ? unreachable(call, siloId, refused) : refused, unsent.target()));
                }
                else {
                    outcome.completeExceptionally(failureOf(call, siloId, cause));
                }
                return;
            }
            String movedTo = envelope.metadata().get(DistributedDirectory.MOVED_TO);
            if (movedTo != null) {
                this.directory.moved(call.address(), siloId, movedTo);
            }
            try {
                if (envelope.kind() == Envelope.Kind.RESPONSE) {
                    outcome.complete(codec.decodeResult(method, envelope.payload()));
                }
                else if (envelope.metadata().containsKey(IncomingCalls.IN_DOUBT)) {
                    outcome.completeExceptionally(new OutcomeInDoubt(codec.decodeFailure(envelope.payload())));
                }
                else if (envelope.metadata().containsKey(IncomingCalls.NOT_DELIVERED)) {
                    outcome.completeExceptionally(new NotDelivered(siloId, SeenView.of(envelope),
                            codec.decodeFailure(envelope.payload())));
                }
                else {
                    Throwable remote = codec.decodeFailure(envelope.payload());
                    if (remote instanceof CallRejectedException rejected && rejectedOnTheWay(call, rejected)) {
                        this.metrics.rejected(rejected);
                    }
                    outcome.completeExceptionally(remote);
                }
            }
            catch (RuntimeException ex) {
                outcome.completeExceptionally(ex);
            }
        });
        return outcome;
    }

    /**
     * The caller's failure for what the transport failed a call with: a {@link CallRejectedException} for a call
     * refused for its own fault (never routed again nor retried), the target unavailable for the transport's
     * other failures, any other failure as it is.
     */
    private Throwable failureOf(ActorCall call, String siloId, Throwable cause) {
        CallRejectedException rejected = rejection(call, siloId, cause);
        if (rejected != null) {
            return rejected;
        }
        return (cause instanceof SiloUnreachableException) ? unreachable(call, siloId, cause) : cause;
    }

    /**
     * This call refused by the transport for its own fault, counted as rejected; {@code null} for any other
     * failure (the text of the failure is built only for a refusal).
     */
    private @Nullable CallRejectedException rejection(ActorCall call, String siloId, Throwable cause) {
        CallRejectedException rejected = CallRejections.of(cause, call.address().toString(),
                () -> call.method().name(), () -> describe(call) + " from silo " + this.self + " to silo " + siloId);
        if (rejected != null) {
            this.metrics.rejected(rejected);
        }
        return rejected;
    }

    /**
     * Whether a {@link CallRejectedException} that the called silo answered with is the refusal of this very call
     * by a silo that passed it on (same actor, and the method by name or by id in hex), rather than one that a
     * turn on the called silo let escape from a call it made itself: only the former is this call's rejection.
     * An escaped one that names the same actor and method cannot be told apart, and is counted too.
     */
    private static boolean rejectedOnTheWay(ActorCall call, CallRejectedException rejected) {
        return rejected.getActor().equals(call.address().toString())
                && (rejected.getMethod().equals(call.method().name())
                        || rejected.getMethod().equals("0x" + Integer.toHexString(call.method().id())));
    }

    private SiloUnavailableException unreachable(ActorCall call, String siloId, Throwable cause) {
        return new SiloUnavailableException("Cannot send " + describe(call) + " from silo " + this.self + " to silo "
                + siloId + ": " + cause.getMessage(), cause);
    }

    private static String describe(ActorCall call) {
        return "call " + call.address() + "." + call.method().name() + "()";
    }

    /**
     * A call's failure when its target is {@code DEAD} in this silo's view at the send, though the call was routed
     * there with an older view: nothing was sent, so it is marked {@link NotHandedOver} and routed again with the
     * newer view ({@link UnsentCalls} sees the target dead), whatever the actor's placement; {@code null} while the
     * target is not dead.
     */
    private @Nullable NotHandedOver deadSinceRouted(SiloEntry target, ActorCall call, ClusterView view) {
        if (target.status() != SiloStatus.DEAD) {
            return null;
        }
        return new NotHandedOver(new SiloUnavailableException("Cannot send " + describe(call) + " to silo "
                + target.siloId() + ": it is dead in the view of silo " + this.self + " (membership version "
                + view.version() + ")"), Peer.of(target));
    }

    /**
     * Returns a refusal, as if from the target itself, when the current view shows the target leaving
     * ({@code SHUTTING_DOWN}) and the actor is placed by hash: the call was routed with an older view, and this
     * silo may already have told the leaver that it read its leave ({@link LeaveAnnouncements}), after which the
     * leaver may close before the call arrives. Routed again instead, the call goes to the new owner. Read right
     * before the hand-over to the transport, after encoding, to keep that window small; a directory-placed
     * activation still hosted by the leaver is served there, and so is a call back into a turn the leaver still runs,
     * which the activation gate sent there ({@link CallbacksElsewhere}).
     */
    private @Nullable NotDelivered leavingSinceRouted(@Nullable SiloEntry target, ActorCall call, ClusterView view) {
        if (target == null || target.status() != SiloStatus.SHUTTING_DOWN
                || this.callbacks.allows(target.siloId(), call.address(), call.callChainId())) {
            return null;
        }
        PlacementStrategy strategy = this.silo.placements().strategyOf(call.address().typeName());
        if (strategy.usesDirectory() || strategy.servesLocally()) {
            return null;
        }
        return new NotDelivered(target.siloId(), SeenView.of(view), new SiloNotServingException("Silo "
                + target.siloId() + " is leaving the cluster (membership version " + view.version() + "); "
                + describe(call) + " was not sent there"));
    }

    /**
     * A call a silo refused without running it; its cause is the refusal the caller gets if the call cannot be
     * routed again. Never leaves this class.
     */
    private static final class NotDelivered extends RuntimeException {

        private static final long serialVersionUID = 1L;

        private final String siloId;

        /** The view of the silo that refused the call. */
        private final transient SeenView view;

        NotDelivered(String siloId, SeenView view, Throwable refusal) {
            super(refusal.getMessage(), refusal, false, false);
            this.siloId = siloId;
            this.view = view;
        }
    }
}
