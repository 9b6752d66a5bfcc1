package dev.quark.cluster.routing;

import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

import dev.quark.actor.ActorUnreachableException;
import dev.quark.cluster.CallForwardingException;
import dev.quark.cluster.SiloNotServingException;
import dev.quark.cluster.SiloUnavailableException;
import dev.quark.cluster.membership.ClusterView;
import dev.quark.cluster.membership.SiloEntry;
import dev.quark.cluster.membership.SiloStatus;
import dev.quark.cluster.placement.PlacementDirector;
import dev.quark.cluster.placement.PlacementStrategy;
import dev.quark.cluster.placement.SiloChooser;
import dev.quark.cluster.transport.Envelope;
import dev.quark.cluster.transport.PayloadCodec;
import dev.quark.runtime.ActorAddress;
import dev.quark.runtime.MethodDescriptor;
import dev.quark.runtime.routing.InboundCall;
import dev.quark.runtime.routing.InboundCalls;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The receiving side of calls between silos. A call from a silo with a newer membership view than this silo's
 * is parked, without holding the receiving thread, until this silo has read that version or for at most a second
 * ({@link ViewWaits}). A call for an actor this silo owns in its view is decoded with
 * the codec and delivered through {@code ActorRuntime.inbound()}; its outcome goes back as a
 * {@code RESPONSE} or an {@code ERROR}. A call for an actor another silo owns is passed on to that silo, at
 * most {@code maxForwards} times in all, then refused with a {@link CallForwardingException}; the silo that
 * passes a call on relays its answer, so that every silo answers for the calls it received and a graceful
 * shutdown can wait for them. Delivery never blocks the transport's receiving thread: a call whose actor's
 * mailbox is full waits for room on a thread of its own ({@link MailboxWaits}), so calls for other actors from
 * the same silo flow on. The answer to a call for a directory-placed actor that lives on another silo (its
 * activation moved: the caller's cached location is stale, and this silo passed the call on) names that
 * silo in its metadata ({@link DistributedDirectory#MOVED_TO}), so that the caller goes there directly from
 * its next call.
 * <p>
 * A silo that is not serving (it has left, or is fenced), or is leaving ({@code SHUTTING_DOWN}: it owns nothing
 * any more, and its hand-over waits only for the calls it already has), runs no new call, except those for the
 * directory-placed actors whose activation it still hosts (callbacks into their running turns among them: the
 * directory names this silo until the hand-over ends them). It refuses a request (one for a directory-placed actor
 * it does not host only once the entry naming this silo has left the directory: the removal of an activation that
 * just ended here answered, and the entry removed again as stale) with a {@link SiloNotServingException} marked {@link #NOT_DELIVERED} in the answer's metadata, which carries
 * its view's version, so that the caller, which may still route with an older view (one where this silo owned
 * the actor), reads membership up to that version and sends the call again where its actor lives now
 * ({@link ClusterRouter}); it passes a one-way call on to the silo that owns its actor in its own view, if that
 * is another silo, and drops it otherwise. A request whose activation the runtime's activation gate refused because
 * this silo stopped serving while it decided ({@link dev.quark.runtime.routing.InboundCalls#refusedByGate}: a
 * directory registration or a previous owner's answer that came late) ran nowhere either, and is refused the same
 * way. What cannot be decoded or delivered
 * (an unknown type or method, bad arguments) is answered with an {@code ERROR} naming it; the silo goes on.
 * <p>
 * A call this silo passes on and its transport cannot hand over to the owner, because it cannot reach it
 * ({@link NotHandedOver}), ran nowhere. A request is refused back to its caller as not run ({@link #NOT_DELIVERED}),
 * which routes it again. A one-way call has no answer to carry that back, so this silo routes it again itself, as
 * {@link ClusterRouter} routes a one-way call of its own that it could not hand over: when {@link UnsentCalls} says
 * this silo has learnt something since (its view moved on, or shows the owner leaving, dead, gone or restarted,
 * reading membership again for at most the catch-up wait), it serves the call anew with its view then, which passes
 * it on to the owner now or delivers it here; at most {@link ClusterRouter#MAX_REROUTES} times, never past the
 * call's deadline, and within the bound of forwards (passed on again, the call is still one hop further than it
 * came, not one more). Otherwise, or when the newer view still names the same incarnation of the owner, or when
 * {@link UnsentCalls#MAX_WAITING_ONE_WAYS} one-way calls wait for a newer view already, the call is
 * dropped: logged through a {@link DroppedOneWayLog} and counted as {@link RoutingMetrics#failedForMembership}. Only
 * a send that failed before the envelope was handed over is routed again, so a one-way call is never delivered twice.
 */
final class IncomingCalls {

    private static final Logger logger = LoggerFactory.getLogger(IncomingCalls.class);

    /**
     * The key of an {@code ERROR} answer's metadata that says the call was not run anywhere (the silo that
     * refused it is not serving), so that its caller may send it again where its actor lives now.
     */
    static final String NOT_DELIVERED = "quark-not-delivered";

    /**
     * The key of an {@code ERROR} answer's metadata that says the call's outcome is unknown: this silo passed it on
     * to the actor's owner, and the link there broke after it was written, or that silo was declared dead or left
     * while the call waited. Its caller may send it once more when its method is idempotent.
     */
    static final String IN_DOUBT = "quark-in-doubt";

    private final String self;

    private final ViewTracker views;

    private final PlacementDirector placement;

    private final Messenger messenger;

    private final SiloBinding silo;

    private final int maxForwards;

    private final AtomicInteger inProgress = new AtomicInteger();

    private final RoutingMetrics metrics;

    private final MailboxWaits waits;

    private final ViewWaits viewWaits;

    private final DistributedDirectory directory;

    private final UnsentCalls unsentCalls;

    private final Executor executor;

    private final ForwardedCalls forwarded = new ForwardedCalls(this::knownMethodName);

    private final DroppedOneWayLog droppedOneWays = new DroppedOneWayLog(logger,
            "this silo could not pass on to their actor's owner");

    /**
     * The one-way calls this silo refused as received (no silo hosts their type, their forwards spent, a method it
     * does not know, back-pressure): such a refusal repeats on every call made the same way, so it is bounded too.
     */
    private final DroppedOneWayLog refusedOneWays = new DroppedOneWayLog(logger, "this silo refused");

    IncomingCalls(String self, ViewTracker views, PlacementDirector placement, Messenger messenger, SiloBinding silo,
            int maxForwards, Clock clock, RoutingMetrics metrics, Executor executor, DistributedDirectory directory,
            UnsentCalls unsentCalls) {
        this.directory = directory;
        this.unsentCalls = unsentCalls;
        this.executor = executor;
        this.metrics = metrics;
        this.waits = new MailboxWaits(executor);
        this.viewWaits = new ViewWaits(views, silo, clock, executor);
        this.self = self;
        this.views = views;
        this.placement = placement;
        this.messenger = messenger;
        this.silo = silo;
        this.maxForwards = maxForwards;
    }

    /**
     * Returns how many calls this silo received and has not answered yet, those parked for a newer view
     * included.
     */
    int inProgress() {
        return this.inProgress.get() + this.viewWaits.size();
    }

    /**
     * Receives a call: serves it at once when this silo's view is as new as its sender's, otherwise once this
     * silo has read that version or waited long enough ({@link ViewWaits}); never blocks this thread for it.
     */
    void receive(Envelope request) {
        this.viewWaits.admit(request, (received) -> serveOrRefuse(received, Reroutes.NONE));
    }

    /** Serves a call; what fails unexpectedly while serving it is its answer, so that its caller does not wait. */
    private void serveOrRefuse(Envelope request, Reroutes reroutes) {
        try {
            serve(request, reroutes);
        }
        catch (RuntimeException ex) {
            logger.warn("Silo {} failed to serve {} from silo {}", this.self, describe(request),
                    request.sourceSiloId(), ex);
            refuse(request, ex, reroutes);
        }
    }

    private void serve(Envelope request, Reroutes reroutes) {
        ClusterView view = this.views.current();
        if (!this.silo.isServing()) {
            refuseNotServing(request, view, reroutes);
            return;
        }
        boolean leaving = isLeaving(view);
        ActorAddress address;
        try {
            address = request.address();
        }
        catch (RuntimeException ex) {
            if (leaving) {
                refuseNotServing(request, view, reroutes);
            }
            else {
                refuse(request, ex, reroutes);
            }
            return;
        }
        if (leaving) {
            if (hostsActivation(address) || isCallback(request, address)) {
                // Its activation is still here until the hand-over ends it (a callback into its running turn
                // among others): nowhere else may run it meanwhile.
                deliver(request, address, reroutes);
                return;
            }
            if (this.silo.placements().strategyOf(address.typeName()).usesDirectory()) {
                refuseNotServingAfter(entryGone(address), request, reroutes);
                return;
            }
            refuseNotServing(request, view, reroutes);
            return;
        }
        if (this.silo.placements().strategyOf(address.typeName()).servesLocally()) {
            // Hosted here and not placed by hash: a stateless worker serves it here; for a directory placement
            // the activation gate registers it or passes it on.
            deliver(request, address, reroutes);
            return;
        }
        String owner = this.placement.ownerOf(address, view);
        if (owner == null) {
            refuse(request, new ActorUnreachableException("Silo " + this.self + " cannot serve " + describe(request)
                    + ": no active silo hosts actor type '" + address.typeName() + "' (membership version "
                    + view.version() + ")"), reroutes);
            return;
        }
        if (!owner.equals(this.self)) {
            passOnNotOwned(request, address, owner, view, reroutes);
            return;
        }
        deliver(request, address, reroutes);
    }

    /**
     * Serves or passes on a call for a hash-placed actor this silo does not own: a child placed with its parent
     * here runs here; one whose entry is being removed (its parent ended) goes to its owner once the entry is
     * gone; and a call its owner sent here although this silo neither hosts nor registers the actor (an entry
     * left behind by a failed removal names this silo) first removes that entry, so that the owner does not send
     * it back.
     */
    private void passOnNotOwned(Envelope request, ActorAddress address, String owner, ClusterView view,
            Reroutes reroutes) {
        if (this.directory.hostsChild(address) || isCallback(request, address)) {
            deliver(request, address, reroutes);
            return;
        }
        CompletableFuture<Void> releasing = this.directory.releasing(address);
        if (releasing != null) {
            forwardAfter(releasing, request, address, owner, view, reroutes);
            return;
        }
        if (owner.equals(request.sourceSiloId()) && this.silo.placedWithParent(address.typeName())) {
            forwardAfter(this.directory.removeStale(address), request, address, owner, view, reroutes);
            return;
        }
        forward(request, address, owner, view, reroutes);
    }

    /**
     * On a leaving silo, the removal of the directory entry naming this silo for a directory-placed actor it no
     * longer hosts, before a call for it is refused: the caller, whose view does not move on, must not find the
     * entry again when it routes the call anew (it would come back here and be refused once more, up to the last
     * re-route, and fail without the not-run mark). Waits for the removal of an activation that just ended here;
     * then, or at once, removes the entry as stale ({@link DistributedDirectory#removeStale}, within the directory's
     * timeout): its removal may have failed, or a re-registration or hand-over of the entry landed after it.
     */
    private CompletableFuture<Void> entryGone(ActorAddress address) {
        CompletableFuture<Void> unregistering = this.directory.unregistering(address);
        if (unregistering == null) {
            return this.directory.removeStaleWithinTimeout(address);
        }
        return unregistering.handle((ignored, failure) -> null)
            .thenCompose((ignored) -> this.directory.removeStaleWithinTimeout(address));
    }

    /** Refuses a call once a directory step has ended, counted as in progress meanwhile. */
    private void refuseNotServingAfter(CompletableFuture<Void> step, Envelope request, Reroutes reroutes) {
        this.inProgress.incrementAndGet();
        step.whenComplete((ignored, failure) -> {
            try {
                refuseNotServing(request, this.views.current(), reroutes);
            }
            finally {
                this.inProgress.decrementAndGet();
            }
        });
    }

    /** Passes a call on once a directory step has ended, counted as in progress meanwhile. */
    private void forwardAfter(CompletableFuture<Void> step, Envelope request, ActorAddress address, String owner,
            ClusterView view, Reroutes reroutes) {
        this.inProgress.incrementAndGet();
        step.whenComplete((ignored, failure) -> {
            try {
                forward(request, address, owner, view, reroutes);
            }
            finally {
                this.inProgress.decrementAndGet();
            }
        });
    }

    /**
     * Returns whether this silo is leaving the cluster gracefully in its view: it no longer owns anything, and
     * it takes no call on that it would have to pass on and answer for, since its hand-over waits only for the
     * calls it already has.
     */
    private boolean isLeaving(ClusterView view) {
        SiloEntry own = view.membership().silos().get(this.self);
        return own != null && own.status() == SiloStatus.SHUTTING_DOWN;
    }

    /**
     * Returns whether a call is a call back into a turn in progress on the actor's activation here
     * ({@code A -> B -> A}) of an actor placed by hash: that activation may be one this silo no longer owns (being
     * handed over, which waits for the turn), and only it can run the call (stateless workers and directory-placed
     * actors are never handed over: they are served as before); its new owner sends such a call here
     * ({@link OwnershipHandoff#admit(ActorAddress, long)}) rather than wait for a hand-over that waits for the call.
     * Should the turn end before the call is delivered, the runtime's activation gate sends it to the owner.
     */
    private boolean isCallback(Envelope request, ActorAddress address) {
        return !this.silo.placements().strategyOf(address.typeName()).servesLocally()
                && this.silo.runtime().inbound().servesChain(address, request.callChainId());
    }

    /**
     * Returns whether a directory-placed actor has its activation on this silo: its directory entry stays
     * until that activation ends, so calls for it must run here, even while this silo is leaving.
     */
    private boolean hostsActivation(ActorAddress address) {
        return (this.silo.placements().strategyOf(address.typeName()).usesDirectory()
                || this.silo.placedWithParent(address.typeName())) && this.directory.hosts(address);
    }

    /**
     * Refuses a call while this silo is not serving or is leaving, without running it: a request is answered with a
     * {@link SiloNotServingException} marked {@link #NOT_DELIVERED}, a one-way call is passed on to the silo that
     * owns its actor in this silo's view when that is another silo.
     */
    private void refuseNotServing(Envelope request, ClusterView view, Reroutes reroutes) {
        SiloNotServingException refusal = new SiloNotServingException("Silo " + this.self
                + (isLeaving(view) ? " is leaving the cluster" : " is not serving") + "; it refused "
                + describe(request) + " from silo " + request.sourceSiloId() + " without running it (membership "
                + "version " + view.version() + ", the caller's " + SeenView.of(request).versionBeside(view) + ")");
        if (request.kind() != Envelope.Kind.ONE_WAY) {
            answerFailure(request, refusal, Map.of(NOT_DELIVERED, "true"));
            return;
        }
        ActorAddress address;
        try {
            address = request.address();
        }
        catch (RuntimeException ex) {
            refuse(request, ex, reroutes);
            return;
        }
        PlacementStrategy strategy = this.silo.placements().strategyOf(address.typeName());
        String owner = strategy.servesLocally() ? SiloChooser.choose(address, strategy, view, this.self, false)
                : this.placement.ownerOf(address, view);
        if (owner == null || owner.equals(this.self)) {
            refuse(request, refusal, reroutes);
            return;
        }
        forward(request, address, owner, view, reroutes);
    }

    /**
     * Delivers a call through the runtime's inbound side; a one-way call this silo routed again keeps its count of
     * re-routes, so that one the runtime sends on from here is not routed again without end.
     */
    private void deliver(Envelope request, ActorAddress address, Reroutes reroutes) {
        PayloadCodec codec = this.silo.codec();
        MethodDescriptor method;
        @Nullable Object[] arguments;
        try {
            method = this.silo.runtime().inbound().method(address.typeName(), request.methodId());
            arguments = codec.decodeArguments(method, request.payload());
        }
        catch (RuntimeException ex) {
            refuse(request, ex, reroutes);
            return;
        }
        countRoutedAgain(reroutes);
        this.inProgress.incrementAndGet();
        InboundCalls inbound = this.silo.runtime().inbound();
        CompletableFuture<@Nullable Object> delivered;
        try {
            delivered = this.waits.deliver(new InboundCall(address, request.methodId(), arguments,
                    request.callChainId(), request.requestId(), request.metadata(), request.deadlineEpochMillis(),
                    reroutes.count()), inbound);
        }
        catch (RuntimeException ex) {
            delivered = CompletableFuture.failedFuture(ex);
        }
        CompletableFuture<@Nullable Object> outcome = delivered;
        outcome.whenComplete((result, failure) -> {
            try {
                if (request.kind() == Envelope.Kind.ONE_WAY) {
                    if (failure != null) {
                        // Not run here (refused, expired, its activation failed): a turn's own failure is logged
                        // by the runtime and never reaches this outcome.
                        logger.debug("One-way {} was not run on silo {}", describe(request), this.self,
                                Messenger.unwrap(failure));
                    }
                }
                else if (failure != null) {
                    Throwable cause = Messenger.unwrap(failure);
                    Map<String, String> metadata = movedTo(address);
                    if (cause instanceof SiloNotServingException && MailboxWaits.refusedByGate(outcome, inbound)) {
                        metadata = new HashMap<>(metadata);
                        metadata.put(NOT_DELIVERED, "true");
                    }
                    answerFailure(request, cause, metadata);
                }
                else {
                    answerResult(request, codec, method, result, movedTo(address));
                }
            }
            finally {
                this.inProgress.decrementAndGet();
            }
        });
    }

    /** The metadata of an answer that tells the caller where a directory-placed actor lives now, if not here. */
    private Map<String, String> movedTo(ActorAddress address) {
        if (!this.silo.placements().strategyOf(address.typeName()).usesDirectory()) {
            return Map.of();
        }
        String elsewhere = this.directory.livesElsewhere(address);
        return (elsewhere != null) ? Map.of(DistributedDirectory.MOVED_TO, elsewhere) : Map.of();
    }

    private void answerResult(Envelope request, PayloadCodec codec, MethodDescriptor method, @Nullable Object result,
            Map<String, String> metadata) {
        byte[] payload;
        try {
            payload = codec.encodeResult(method, result);
        }
        catch (RuntimeException ex) {
            answerFailure(request, ex, metadata);
            return;
        }
        answerCall(request, Envelope.Kind.RESPONSE, payload, metadata);
    }

    /**
     * Answers a call; an answer the transport refuses as too large or beyond the bounds every silo receives
     * within is replaced by an {@code ERROR} carrying a {@link dev.quark.actor.CallRejectedException} that names
     * the call, so that its caller fails at once rather than at its deadline (the call ran; its answer cannot be
     * sent, however often).
     */
    private void answerCall(Envelope request, Envelope.Kind kind, byte[] payload, Map<String, String> metadata) {
        answerCall(request, kind, payload, metadata, null);
    }

    /**
     * As above, the answer carrying the view of the silo that answered when it is newer than this one's (an answer
     * passed back).
     */
    private void answerCall(Envelope request, Envelope.Kind kind, byte[] payload, Map<String, String> metadata,
            @Nullable SeenView atLeast) {
        this.messenger.answer(request, kind, payload, metadata, atLeast, (refused) -> {
            if (request.actorType() == null || request.actorId() == null) {
                return null;
            }
            ActorAddress address = new ActorAddress(request.actorType(), request.actorId());
            Throwable rejected = CallRejections.of(refused, address.toString(), () -> methodName(request, address),
                    () -> "the " + kind + " answer to " + describe(request) + " from silo " + this.self + " to silo "
                            + request.sourceSiloId() + " (the call ran)");
            return (rejected != null) ? this.silo.codec().encodeFailure(rejected) : null;
        });
    }

    private void forward(Envelope request, ActorAddress address, String owner, ClusterView view,
            Reroutes reroutes) {
        NotHandedOver lastUnsent = reroutes.unreached();
        if (lastUnsent != null && UnsentCalls.sameTarget(view, owner, lastUnsent.target())) {
            dropOneWay(request, lastUnsent, "membership version " + view.version() + " still routes it to silo "
                    + owner);
            return;
        }
        if (request.forwardCount() >= this.maxForwards) {
            refuse(request, new CallForwardingException("Silo " + this.self + " does not own " + address
                    + " in its view (membership version " + view.version() + "), silo " + owner + " does; the call "
                    + describe(request) + " from silo " + request.sourceSiloId() + " (membership version "
                    + SeenView.of(request).versionBeside(view) + ") was already passed on " + request.forwardCount()
                    + " times, the most allowed: the silos' views disagree"), reroutes);
            return;
        }
        SiloEntry target = view.membership().silos().get(owner);
        if (target == null) {
            refuse(request, new SiloUnavailableException("Silo " + this.self + " cannot pass " + describe(request)
                    + " on to silo " + owner + ": it has no entry (membership version " + view.version() + ")"),
                    reroutes);
            return;
        }
        logger.debug("Passing {} on to silo {} (membership version {})", request, owner, view.version());
        countRoutedAgain(reroutes);
        this.inProgress.incrementAndGet();
        this.metrics.forwarded(owner);
        ForwardedCalls.Forwarded passedOn = (request.kind() == Envelope.Kind.ONE_WAY) ? null
                : this.forwarded.passedOn(request, address, owner);
        CompletableFuture<@Nullable Envelope> relayed;
        try {
            relayed = this.messenger.relay(request, Peer.of(target),
                    () -> new SiloUnavailableException("Silo " + owner + " did not answer " + describe(request)
                            + " passed on by silo " + this.self + " before its deadline"),
                    describe(request) + " passed on to silo " + owner);
        }
        catch (RuntimeException ex) {
            if (passedOn != null) {
                this.forwarded.answered(passedOn);
            }
            this.inProgress.decrementAndGet();
            throw ex;
        }
        relayed
            .whenComplete((answer, failure) -> {
                try {
                    if (failure != null) {
                        Throwable cause = Messenger.unwrap(failure);
                        boolean inDoubt = cause instanceof OutcomeInDoubt;
                        Peer unreached = (cause instanceof NotHandedOver notHandedOver) ? notHandedOver.target() : null;
                        boolean unsent = unreached != null;
                        if (inDoubt || unsent) {
                            cause = Objects.requireNonNull(cause.getCause());
                        }
                        Throwable rejected = CallRejections.of(cause, address.toString(),
                                () -> methodName(request, address),
                                () -> describe(request) + " passed on by silo " + this.self + " to silo " + owner);
                        Throwable refusal = (rejected != null) ? rejected
                                : (cause instanceof SiloUnavailableException) ? cause
                                : new SiloUnavailableException("Silo " + this.self + " cannot pass " + describe(request)
                                        + " on to silo " + owner + ", which owns it: " + cause.getMessage(), cause);
                        if (inDoubt && request.kind() != Envelope.Kind.ONE_WAY) {
                            answerFailure(request, refusal, Map.of(IN_DOUBT, "true"));
                        }
                        else if (unsent && request.kind() != Envelope.Kind.ONE_WAY) {
                            // Not handed over to the owner (its link down, its transport closed as it left): the
                            // call ran nowhere, and its caller may route it again once its view moves on.
                            answerFailure(request, refusal, Map.of(NOT_DELIVERED, "true"));
                        }
                        else if (unreached != null) {
                            // A one-way call has no answer to send its caller back with: this silo routes it again.
                            rerouteOneWay(request, new NotHandedOver(refusal, unreached), view, reroutes);
                        }
                        else {
                            refuse(request, refusal, reroutes);
                        }
                    }
                    else if (answer != null) {
                        // A refusal without running the call stays one for the caller: it may send it again, once
                        // its view reached the version of the silo that refused it (which may be newer than this
                        // one's); an unknown outcome stays one too.
                        answerCall(request, answer.kind(), answer.payload(),
                                answer.metadata().containsKey(NOT_DELIVERED) ? Map.of(NOT_DELIVERED, "true")
                                        : answer.metadata().containsKey(IN_DOUBT) ? Map.of(IN_DOUBT, "true")
                                                : Map.of(),
                                SeenView.of(answer));
                    }
                }
                finally {
                    if (passedOn != null) {
                        this.forwarded.answered(passedOn);
                    }
                    this.inProgress.decrementAndGet();
                }
            });
    }

    /**
     * Returns the requests this silo passed on and whose answers it still relays.
     */
    ForwardedCalls forwarded() {
        return this.forwarded;
    }

    /**
     * Routes again a one-way call this silo passed on and could not hand over to the owner, when {@link UnsentCalls}
     * says so: serves it anew, on the executor, with this silo's view then; otherwise drops it. Counted as in
     * progress meanwhile, so that a leaving silo's hand-over waits for it.
     * @param unsent the failure, naming the silo the call could not be handed over to
     * @param sentWith the view the call was passed on with
     */
    private void rerouteOneWay(Envelope request, NotHandedOver unsent, ClusterView sentWith, Reroutes reroutes) {
        this.inProgress.incrementAndGet();
        CompletableFuture<@Nullable String> decision;
        try {
            decision = this.unsentCalls.decide(request.deadlineEpochMillis(), unsent, sentWith,
                    reroutes.count(), true);
        }
        catch (RuntimeException ex) {
            // Membership stopping under the decision (its executor refusing the read): nothing routes it again.
            dropOneWayInProgress(request, unsent, "it could not be decided whether to route it again: " + ex);
            return;
        }
        decision.whenComplete((whyNot, never) -> {
            if (whyNot != null) {
                dropOneWayInProgress(request, unsent, whyNot);
                return;
            }
            try {
                this.executor.execute(() -> {
                    try {
                        serveOrRefuse(request, new Reroutes(reroutes.count() + 1, unsent));
                    }
                    finally {
                        this.inProgress.decrementAndGet();
                    }
                });
            }
            catch (RejectedExecutionException ex) {
                dropOneWayInProgress(request, unsent, "the routing closed");
            }
        });
    }

    /** Drops a one-way call counted as in progress by {@link #rerouteOneWay}, and ends that count. */
    private void dropOneWayInProgress(Envelope request, NotHandedOver unsent, String whyNot) {
        try {
            dropOneWay(request, unsent, whyNot);
        }
        finally {
            this.inProgress.decrementAndGet();
        }
    }

    /**
     * Drops a one-way call this silo passed on and could neither hand over to the owner nor route again: logged, in
     * a bounded way (it repeats on every such call while the owner cannot be reached), and counted.
     */
    private void dropOneWay(Envelope request, NotHandedOver unsent, String whyNot) {
        Throwable dropped = ClusterRouter.notRoutedAgain(Objects.requireNonNull(unsent.getCause()), whyNot);
        this.metrics.failedForMembership(dropped);
        this.droppedOneWays.dropped(describe(request) + " from silo " + request.sourceSiloId(),
                unsent.target().siloId(), String.valueOf(dropped.getMessage()));
    }

    /** Counts a one-way call this silo routed again, once it is passed on or delivered: not when it is dropped. */
    private void countRoutedAgain(Reroutes reroutes) {
        NotHandedOver unreached = reroutes.unreached();
        if (unreached != null) {
            this.metrics.rerouted(unreached.target().siloId());
        }
    }

    /**
     * As {@link #refuse(Envelope, Throwable)}, for a call this silo may have routed again after it could not hand it
     * over: such a one-way call is dropped as {@link #dropOneWay} drops it, through the bounded log, and counted.
     */
    private void refuse(Envelope request, Throwable failure, Reroutes reroutes) {
        NotHandedOver unreached = reroutes.unreached();
        if (request.kind() != Envelope.Kind.ONE_WAY || unreached == null) {
            refuse(request, failure);
            return;
        }
        this.metrics.failedForMembership(failure);
        this.droppedOneWays.dropped(describe(request) + " from silo " + request.sourceSiloId(),
                unreached.target().siloId(), String.valueOf(failure.getMessage()));
    }

    /**
     * Answers a call that was not delivered with an {@code ERROR}, or logs it for a one-way call (in a bounded way:
     * the first few at WARN, the others at DEBUG, counted at WARN at most once a minute).
     */
    void refuse(Envelope request, Throwable failure) {
        if (request.kind() == Envelope.Kind.ONE_WAY) {
            this.refusedOneWays.dropped(describe(request) + " from silo " + request.sourceSiloId(), this.self,
                    String.valueOf(failure.getMessage()));
            return;
        }
        answerFailure(request, failure);
    }

    private void answerFailure(Envelope request, Throwable failure) {
        answerFailure(request, failure, Map.of());
    }

    private void answerFailure(Envelope request, Throwable failure, Map<String, String> metadata) {
        byte[] payload;
        try {
            payload = this.silo.codec().encodeFailure(failure);
        }
        catch (RuntimeException ex) {
            logger.warn("Silo {} cannot encode the failure of {}; its caller will time out", this.self, request, ex);
            return;
        }
        answerCall(request, Envelope.Kind.ERROR, payload, metadata);
    }

    /**
     * The name of a call's method for its caller's failure, or its id in hex when this silo does not know the
     * actor's type or the method (a silo that only passes calls on need not host it).
     */
    private String methodName(Envelope request, ActorAddress address) {
        String name = knownMethodName(address.typeName(), request.methodId());
        return (name != null) ? name : "0x" + Integer.toHexString(request.methodId());
    }

    /** The name of a method, or {@code null} when this silo does not know the actor's type or the method. */
    private @Nullable String knownMethodName(String typeName, int methodId) {
        try {
            return this.silo.runtime().inbound().method(typeName, methodId).name();
        }
        catch (RuntimeException ex) {
            return null;
        }
    }

    static String describe(Envelope request) {
        String actor = (request.actorType() != null) ? request.actorType() + "/" + request.actorId() : "no actor";
        return "call " + actor + " method 0x" + Integer.toHexString(request.methodId());
    }

    /**
     * How often this silo routed a received one-way call again after its transport could not hand it over to the
     * actor's owner, and that last failure (naming the silo, and incarnation, it could not reach).
     *
     * @param count how many times the call was routed again here
     * @param unreached the last failure to hand it over, {@code null} for a call as received
     */
    private record Reroutes(int count, @Nullable NotHandedOver unreached) {

        /** A call as received: not routed again. */
        static final Reroutes NONE = new Reroutes(0, null);
    }
}
