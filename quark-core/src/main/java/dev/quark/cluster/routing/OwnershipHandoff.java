package dev.quark.cluster.routing;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.quark.actor.DeactivationReason;
import dev.quark.cluster.SiloNotServingException;
import dev.quark.cluster.SiloUnavailableException;
import dev.quark.cluster.membership.ClusterView;
import dev.quark.cluster.membership.SiloEntry;
import dev.quark.cluster.membership.SiloStatus;
import dev.quark.cluster.placement.PlacementDirector;
import dev.quark.cluster.placement.PlacementStrategy;
import dev.quark.cluster.placement.TypePlacements;
import dev.quark.cluster.transport.Envelope;
import dev.quark.runtime.ActorAddress;
import dev.quark.runtime.routing.ActivationGate;
import dev.quark.runtime.routing.ActorLocation;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps at most one activation per actor while ownership moves between silos, from both ends of the move.
 * <ul>
 * <li>The silo that loses actors: on every new view it deactivates, with
 * {@link DeactivationReason#HANDOFF}, the activations it no longer owns; the calls that wait for them go to
 * the new owner. When the new owner asks ({@code HANDOFF}), it first reads membership up to the asker's
 * version, then deactivates the actor if it still has it, and confirms ({@code HANDOFF_ACK}) once that
 * activation has ended.</li>
 * <li>The silo that gains actors: as the runtime's {@link ActivationGate}, before the first activation of an
 * actor it owns, it asks every silo that owned the actor in a view replaced within the hand-off window, and is
 * still alive, to give it up, and waits for their confirmations. An actor placed by the directory is registered
 * there instead ({@link DistributedDirectory}), and removed from it again when its activation fails
 * ({@link #activationFailed}). Outside the window nobody is asked: the old
 * owner has long deactivated what it lost. An actor this silo does not own is sent to its owner; a silo that
 * is not serving activates nothing.</li>
 * </ul>
 */
final class OwnershipHandoff implements ActivationGate {

    private static final Logger logger = LoggerFactory.getLogger(OwnershipHandoff.class);

    private final String self;

    private final ViewTracker views;

    private final PlacementDirector placement;

    private final Messenger messenger;

    private final SiloBinding silo;

    private final Clock clock;

    private final Duration timeout;

    private final Executor executor;

    private final DistributedDirectory directory;

    OwnershipHandoff(String self, ViewTracker views, PlacementDirector placement, Messenger messenger,
            SiloBinding silo, Clock clock, Duration timeout, Executor executor, DistributedDirectory directory) {
        this.directory = directory;
        this.self = self;
        this.views = views;
        this.placement = placement;
        this.messenger = messenger;
        this.silo = silo;
        this.clock = clock;
        this.timeout = timeout;
        this.executor = executor;
    }

    /** How long a new owner waits for its view to show that a leaving previous owner that did not answer has left. */
    static final long DEPARTURE_WAIT_MILLIS = 2_000;

    // ------------------------------------------------------------------ the silo that gains an actor

    @Override
    public ActorLocation admit(ActorAddress address) {
        PlacementStrategy strategy = this.silo.placements().strategyOf(address.typeName());
        if (strategy.servesLocally()) {
            if (!this.silo.isServing()) {
                throw new SiloNotServingException("Silo " + this.self + " is not serving: it does not activate "
                        + address + " (membership version " + this.views.current().version() + ")");
            }
            return strategy.usesDirectory() ? this.directory.register(address) : ActorLocation.LOCAL;
        }
        if (this.directory.hostsChild(address)) {
            if (!this.silo.isServing()) {
                throw new SiloNotServingException("Silo " + this.self + " is not serving: it does not activate "
                        + "child " + address + " (membership version " + this.views.current().version() + ")");
            }
            return ActorLocation.LOCAL;
        }
        ActorLocation owner = ownerNow(address);
        if (!owner.isLocal()) {
            return owner;
        }
        if (!this.silo.isServing()) {
            throw new SiloNotServingException("Silo " + this.self + " is not serving: it does not activate "
                    + address + " (membership version " + this.views.current().version() + ")");
        }
        Set<String> previousOwners = this.views.recentOwners(address, this.placement);
        release(address, previousOwners);
        if (!previousOwners.isEmpty()) {
            owner = ownerNow(address);
            if (!owner.isLocal()) {
                return owner;
            }
        }
        return this.silo.placedWithParent(address.typeName()) ? this.directory.claim(address, previousOwners) : owner;
    }

    /**
     * Asks every live previous owner of an actor to give it up and waits for their confirmations: before this
     * silo's own first activation of it, and before a child's first registration here.
     * @throws SiloUnavailableException when a previous owner that is still alive does not confirm
     */
    void release(ActorAddress address, Set<String> previousOwners) {
        for (String previous : previousOwners) {
            confirmReleased(address, previous, this.timeout);
        }
    }

    /**
     * Asks every live previous owner of an actor to give it up, as {@link #release(ActorAddress, Set)} does, within
     * a budget for all of them: for a child's first registration, whose asker waits for the answer (a previous
     * owner that hangs must not hold the spawn for the hand-off timeout, once per attempt). The owners are asked
     * together, each with the whole budget (at most the hand-off timeout), so that a slow one leaves the others
     * their time; a leaving one that does not confirm is then waited for to leave as by the other release.
     * @throws ReleaseNotConfirmedException when a previous owner that is still alive does not answer in time,
     * naming every such owner (the first one's failure its cause, the others suppressed in it): the registration
     * fails for good, since asking again would wait as long
     * @throws SiloUnavailableException when one refused (its view is older, say): asking again may succeed
     */
    void release(ActorAddress address, Set<String> previousOwners, Duration budget) {
        Duration wait = (budget.compareTo(this.timeout) < 0) ? budget : this.timeout;
        Map<String, CompletableFuture<Void>> confirmations = new LinkedHashMap<>();
        for (String previous : previousOwners) {
            if (previousOwners.size() == 1) {
                confirmations.put(previous, confirmedOnThisThread(address, previous, wait));
                continue;
            }
            try {
                confirmations.put(previous, CompletableFuture.runAsync(() -> confirmReleased(address, previous, wait,
                        true), this.executor));
            }
            catch (RejectedExecutionException ex) {
                confirmations.put(previous, CompletableFuture.failedFuture(new SiloUnavailableException("Silo "
                        + this.self + " closed its routing while it asked silo " + previous + " to give up " + address,
                        ex)));
            }
        }
        Set<String> unanswered = new LinkedHashSet<>();
        List<Throwable> failures = new ArrayList<>();
        confirmations.forEach((previous, confirmation) -> {
            try {
                confirmation.join();
            }
            catch (CompletionException | CancellationException ex) {
                Throwable failure = (ex.getCause() != null) ? ex.getCause() : ex;
                if (failure instanceof ReleaseNotConfirmedException) {
                    unanswered.add(previous);
                }
                failures.add(failure);
            }
        });
        if (failures.isEmpty()) {
            return;
        }
        Throwable first = failures.stream().filter(ReleaseNotConfirmedException.class::isInstance).findFirst()
            .orElse(failures.get(0));
        RuntimeException thrown = unanswered.isEmpty() ? asRuntime(first)
                : new ReleaseNotConfirmedException("Silo " + this.self + " cannot register child " + address
                        + ": silos " + unanswered + ", which owned it until recently, did not answer within " + wait
                        + " whether they hold an activation of it: " + first.getMessage(), unanswered, first);
        failures.stream().filter((failure) -> failure != thrown && failure != thrown.getCause())
            .forEach(thrown::addSuppressed);
        throw thrown;
    }

    private static RuntimeException asRuntime(Throwable failure) {
        return (failure instanceof RuntimeException runtime) ? runtime
                : new SiloUnavailableException(String.valueOf(failure.getMessage()), failure);
    }

    private CompletableFuture<Void> confirmedOnThisThread(ActorAddress address, String previous, Duration wait) {
        try {
            confirmReleased(address, previous, wait, true);
            return CompletableFuture.completedFuture(null);
        }
        catch (RuntimeException ex) {
            return CompletableFuture.failedFuture(ex);
        }
    }

    /**
     * Forgets this silo's claim of a hash-placed actor whose activation ended for good.
     */
    @Override
    public void activationEnded(ActorAddress address) {
        if (this.silo.placedWithParent(address.typeName())) {
            this.directory.claimEnded(address);
        }
    }

    /**
     * Places a child spawned here with its parent, in the directory ({@link DistributedDirectory#placeChild}).
     */
    @Override
    public void childSpawned(ActorAddress child) {
        this.directory.placeChild(child);
    }

    /**
     * Removes the entry of a child whose parent here ended ({@link DistributedDirectory#releaseChild}).
     */
    @Override
    public void childReleased(ActorAddress child) {
        this.directory.releaseChild(child);
    }

    /**
     * Removes the directory entry of a directory-placed actor whose activation failed here, so that its next
     * call activates it again rather than being sent to an activation that does not exist; and this silo's claim
     * of a hash-placed one, which would otherwise refuse every later registration of the actor as a child
     * placed with its parent (the runtime does not tell {@link #activationEnded} for an activation that never
     * ran).
     */
    @Override
    public void activationFailed(ActorAddress address) {
        if (this.silo.placements().strategyOf(address.typeName()).usesDirectory()) {
            this.directory.activationEnded(address);
        }
        else if (this.silo.placedWithParent(address.typeName())) {
            this.directory.claimEnded(address);
        }
    }

    private ActorLocation ownerNow(ActorAddress address) {
        ClusterView view = this.views.current();
        String owner = this.placement.ownerOf(address, view);
        if (owner == null) {
            throw new SiloUnavailableException("Silo " + this.self + " cannot activate " + address
                    + ": no active silo hosts actor type '" + address.typeName() + "' (membership version "
                    + view.version() + ")");
        }
        return owner.equals(this.self) ? ActorLocation.LOCAL : ActorLocation.remote(owner);
    }

    /**
     * Asks the previous owner to give an actor up and waits for its confirmation, on the activation's
     * thread.
     * @throws SiloUnavailableException when a previous owner that is still alive does not confirm
     */
    private void confirmReleased(ActorAddress address, String previous, Duration wait) {
        confirmReleased(address, previous, wait, false);
    }

    /**
     * Asks the previous owner to give an actor up, as above.
     * @param unansweredForGood whether a previous owner that does not answer in time (not one that refuses) fails
     * it with a {@link ReleaseNotConfirmedException}, which the asker of a child's registration does not retry
     * @throws SiloUnavailableException when a previous owner that is still alive does not confirm
     */
    private void confirmReleased(ActorAddress address, String previous, Duration wait, boolean unansweredForGood) {
        AtomicBoolean unanswered = new AtomicBoolean();
        SiloEntry target = this.views.current().membership().silos().get(previous);
        if (target == null || target.status() == SiloStatus.DEAD) {
            return;
        }
        long deadline = this.clock.millis() + wait.toMillis();
        CompletableFuture<Envelope> answer = this.messenger.request(Peer.of(target),
                Messenger.Message.control(Envelope.Kind.HANDOFF, address, Envelope.noPayload(), deadline),
                () -> {
                    unanswered.set(true);
                    return new SiloUnavailableException("Silo " + previous + " did not confirm within " + wait
                            + " that it gave up " + address);
                },
                "the hand-off of " + address);
        Throwable failure;
        try {
            Envelope reply = answer.get(wait.equals(this.timeout) ? wait.toMillis() + 1_000 : wait.toMillis(),
                    TimeUnit.MILLISECONDS);
            if (reply.kind() == Envelope.Kind.HANDOFF_ACK) {
                logger.debug("Silo {} gave up {} for silo {}", previous, address, this.self);
                return;
            }
            failure = this.silo.codec().decodeFailure(reply.payload());
        }
        catch (ExecutionException ex) {
            failure = (ex.getCause() != null) ? ex.getCause() : ex;
        }
        catch (TimeoutException ex) {
            answer.cancel(false);
            unanswered.set(true);
            failure = ex;
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            failure = ex;
        }
        boolean leaving = target.status() == SiloStatus.SHUTTING_DOWN;
        String waited = leaving ? awaitDeparture(previous, target.epoch()) : "";
        ClusterView view = this.views.current();
        SiloEntry now = view.membership().silos().get(previous);
        if (now == null || now.status() == SiloStatus.DEAD || now.epoch() != target.epoch()) {
            return;
        }
        String stillThere = (leaving && now.status() == SiloStatus.SHUTTING_DOWN)
                ? "; it is still SHUTTING_DOWN in this silo's view " + waited
                : "";
        String message = "Silo " + this.self + " cannot activate " + address + " yet: silo " + previous
                + ", which owned it until recently, did not confirm that it holds no activation of it (membership "
                + "version " + view.version() + ")" + stillThere + ": " + failure.getMessage();
        if (unansweredForGood && unanswered.get()) {
            throw new ReleaseNotConfirmedException(message, Set.of(previous), failure);
        }
        throw new SiloUnavailableException(message, failure);
    }

    /**
     * Waits a little for a view in which a leaving silo that did not answer is gone: it answers hand-offs until
     * it has written itself {@code DEAD} and closed, so a leaver that no longer answers has most likely left, and
     * this silo's view may just not show it yet (a membership table read on a poll or a hint). Asks for a read
     * of the table and waits at most {@link #DEPARTURE_WAIT_MILLIS} for a newer view; only the table's word
     * that the silo is dead (or restarted) lets the activation go on.
     * @return how the wait went, for the message of a failed activation: how long it waited, and why it stopped
     * before {@link #DEPARTURE_WAIT_MILLIS} when it did
     */
    private String awaitDeparture(String previous, long epoch) {
        long start = this.clock.millis();
        long deadline = start + DEPARTURE_WAIT_MILLIS;
        while (true) {
            ClusterView view = this.views.current();
            SiloEntry entry = view.membership().silos().get(previous);
            long remaining = deadline - this.clock.millis();
            if (entry == null || entry.status() == SiloStatus.DEAD || entry.epoch() != epoch || remaining <= 0) {
                return waited(start, "");
            }
            this.silo.refreshIfOlderThan(view.version() + 1, view.version());
            try {
                this.views.awaitVersion(view.version() + 1).orTimeout(remaining, TimeUnit.MILLISECONDS).get();
            }
            catch (ExecutionException ex) {
                Throwable cause = (ex.getCause() != null) ? ex.getCause() : ex;
                return waited(start, (cause instanceof TimeoutException) ? ""
                        : " (the wait for a newer view ended early: " + cause + ")");
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                return waited(start, " (the wait was interrupted)");
            }
        }
    }

    private String waited(long start, String why) {
        return "after " + (this.clock.millis() - start) + " ms of waiting for it to leave" + why;
    }

    // ------------------------------------------------------------------ the silo that loses actors

    /**
     * Deactivates the activations placed by consistent hashing that this silo does not own in a new view;
     * the others (directory placements, stateless workers) stay where they are.
     */
    void viewChanged(ClusterView view) {
        SiloBinding bound = this.silo;
        TypePlacements placements = bound.placements();
        CompletableFuture<Integer> ended;
        try {
            ended = bound.runtime()
                .deactivateWhere((address) -> !placements.strategyOf(address.typeName()).servesLocally()
                        && !this.self.equals(this.placement.ownerOf(address, view)) && !this.directory.hosts(address),
                        DeactivationReason.HANDOFF);
        }
        catch (RuntimeException ex) {
            logger.warn("Silo {} could not hand over the actors it lost in membership version {}", this.self,
                    view.version(), ex);
            return;
        }
        ended.whenComplete((count, failure) -> {
            if (failure != null) {
                logger.warn("Silo {} failed to hand over the actors it lost in membership version {}", this.self,
                        view.version(), failure);
            }
            else if (count > 0) {
                logger.info("Silo {} handed over {} activations it no longer owns in membership version {}",
                        this.self, count, view.version());
            }
        });
    }

    /**
     * Answers a {@code HANDOFF}: once this silo's view is as new as the asker's and says this silo does not own
     * the actor, deactivates it if it is active here and confirms when it has ended.
     */
    void handoffRequested(Envelope request) {
        long remaining = Math.max(1, request.deadlineEpochMillis() - this.clock.millis());
        this.silo.refreshIfOlderThan(request.membershipVersion(), this.views.current().version());
        this.views.awaitVersion(request.membershipVersion())
            .orTimeout(remaining, TimeUnit.MILLISECONDS)
            .thenCompose((view) -> {
                ActorAddress address = request.address();
                if (this.self.equals(this.placement.ownerOf(address, view))) {
                    throw new SiloUnavailableException("Silo " + this.self + " still owns " + address
                            + " in its view (membership version " + view.version() + "); silo "
                            + request.sourceSiloId() + " asked for it with membership version "
                            + request.membershipVersion());
                }
                if (this.directory.hosts(address)) {
                    // A child placed with its parent here: no activation by hash to give up; its entry stays.
                    return CompletableFuture.completedFuture(false);
                }
                return this.silo.runtime().deactivate(address, DeactivationReason.HANDOFF);
            })
            .whenCompleteAsync((ended, failure) -> {
                if (failure == null) {
                    this.messenger.answer(request, Envelope.Kind.HANDOFF_ACK, Envelope.noPayload());
                    return;
                }
                Throwable cause = Messenger.unwrap(failure);
                if (cause instanceof TimeoutException) {
                    cause = new SiloUnavailableException("Silo " + this.self + " did not reach membership version "
                            + request.membershipVersion() + " in time to hand over " + request.address()
                            + " (it has version " + this.views.current().version() + ")");
                }
                this.messenger.answer(request, Envelope.Kind.ERROR, this.silo.codec().encodeFailure(cause));
            }, this.executor);
    }
}
