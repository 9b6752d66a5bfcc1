package dev.quark.cluster.routing;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
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
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiFunction;

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

import org.jspecify.annotations.Nullable;
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
 * ({@link #activationFailed}); a leaving silo registers none again, it sends the calls of a directory-placed actor
 * whose activation here ended to another silo ({@link LeavingSiloPlacement}). Outside the window nobody is asked:
 * the old owner has long deactivated what it lost. An actor this silo does not own is sent to its owner; a silo
 * that is not serving activates nothing.</li>
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

    private final EarlierOwnerHandoff earlier;

    private final UnreleasedEarlierOwners unreleased;

    private final LeavingSiloPlacement leaving;

    private final CallbacksElsewhere callbacks;

    private final BrokenLinkWait brokenLinks;

    OwnershipHandoff(String self, ViewTracker views, PlacementDirector placement, Messenger messenger,
            SiloBinding silo, Clock clock, Duration timeout, Executor executor, DistributedDirectory directory,
            CallbacksElsewhere callbacks) {
        this.callbacks = callbacks;
        this.directory = directory;
        this.self = self;
        this.views = views;
        this.placement = placement;
        this.messenger = messenger;
        this.silo = silo;
        this.clock = clock;
        this.timeout = timeout;
        this.executor = executor;
        this.brokenLinks = new BrokenLinkWait(messenger, views, executor);
        this.earlier = new EarlierOwnerHandoff(self, views, placement, messenger, silo, clock, this.brokenLinks);
        this.unreleased = new UnreleasedEarlierOwners(clock, views.window());
        this.leaving = new LeavingSiloPlacement(self, views, directory, timeout);
    }

    /** The chain id of no call: a release asked for without one (a child's registration). */
    static final long NO_CHAIN = 0;

    /**
     * The metadata key of a {@code HANDOFF} that names, in hexadecimal, the chain of the call that starts the
     * asker's activation: the silo asked answers {@value #CALLBACK_THERE} at once when a turn of that chain is in
     * progress on its activation of the actor. A silo of a version before it ignores the key.
     */
    static final String CALLBACK_CHAIN = "quark-handoff-callback-chain";

    /**
     * The metadata key of a {@code HANDOFF}'s {@code ERROR} that says a turn of the chain named by
     * {@value #CALLBACK_CHAIN} is in progress on the silo's activation: the call is a call back into it, and goes
     * there.
     */
    static final String CALLBACK_THERE = "quark-handoff-callback-there";

    /**
     * The metadata key of a {@code HANDOFF} that asks only whether a turn of the chain it names
     * ({@value #CALLBACK_CHAIN}) is in progress on the silo's activation of the actor: the silo answers at once,
     * {@value #CALLBACK_THERE} or a refusal, and hands nothing over. A silo of a version before it ignores the key
     * and hands the actor over as for any {@code HANDOFF}, answering within the short deadline such a request has.
     */
    static final String CALLBACK_ONLY = "quark-handoff-callback-only";

    /** How long a question about a waiting call's chain ({@value #CALLBACK_ONLY}) waits for its answer. */
    static final long CALLBACK_QUESTION_MILLIS = 1_000;

    /** How long a new owner waits for its view to show that a leaving previous owner that did not answer has left. */
    static final long DEPARTURE_WAIT_MILLIS = 2_000;

    // ------------------------------------------------------------------ the silo that gains an actor

    @Override
    public ActorLocation admit(ActorAddress address) {
        return admit(address, NO_CHAIN);
    }

    /**
     * {@inheritDoc}
     * <p>
     * Before this silo's first activation of an actor placed by hash, the previous owners it asks directly to give it
     * up are also asked whether a turn of the starting call's chain is in progress on their activation of it
     * ({@value #CALLBACK_CHAIN}; an earlier owner that a previous owner passes the request on to is not): a call back
     * into a turn there ({@code A -> B -> A}, {@code A} being handed over) must run there, since the hand-over waits
     * for that turn, which waits for the call. One that says so ({@value #CALLBACK_THERE}, at once, without waiting
     * for its hand-over) gets the calls of that chain ({@link ActorLocation#callChainOn}); the other calls waiting
     * here start the activation again and ask anew.
     */
    @Override
    public ActorLocation admit(ActorAddress address, long callChainId) {
        PlacementStrategy strategy = this.silo.placements().strategyOf(address.typeName());
        if (strategy.servesLocally()) {
            if (!this.silo.isServing()) {
                throw new SiloNotServingException("Silo " + this.self + " is not serving: it does not activate "
                        + address + " (membership version " + this.views.current().version() + ")");
            }
            if (!strategy.usesDirectory()) {
                return ActorLocation.LOCAL;
            }
            if (!this.directory.hostsChild(address)) {
                this.directory.awaitChildSettled(address);
            }
            if (this.directory.hostsChild(address)) {
                // A child registered here with its parent at its spawn: it starts where its parent is (also while
                // this silo leaves, until its parent's end releases it), under that registration.
                return ActorLocation.LOCAL;
            }
            return this.leaving.isLeaving() ? this.leaving.elsewhere(address, strategy)
                    : this.directory.register(address);
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
        try {
            releaseTogether(address, previousOwners, this.timeout, false, callChainId);
        }
        catch (TurnInProgressElsewhere callback) {
            logger.debug("Silo {} sends a call back into a turn of {} to silo {}, which still runs it", this.self,
                    address, callback.siloId);
            SiloEntry previous = this.views.current().membership().silos().get(callback.siloId);
            if (previous != null && previous.status() == SiloStatus.SHUTTING_DOWN) {
                this.callbacks.sendingTo(callback.siloId, address, callChainId, this.timeout.toNanos());
            }
            return ActorLocation.callChainOn(callback.siloId);
        }
        if (!previousOwners.isEmpty()) {
            owner = ownerNow(address);
            if (!owner.isLocal()) {
                return owner;
            }
        }
        if (!this.silo.isServing()) {
            // It fenced itself, or paused, while it waited for the previous owners: answers that arrive after such a
            // pause must not start an activation beside the actor's new owner.
            throw new SiloNotServingException("Silo " + this.self + " stopped serving while it waited for the "
                    + "previous owners of " + address + ": it does not activate it (membership version "
                    + this.views.current().version() + ")");
        }
        return this.silo.placedWithParent(address.typeName()) ? this.directory.claim(address, previousOwners) : owner;
    }

    /**
     * Asks every live previous owner of an actor to give it up and waits for their confirmations: before this
     * silo's own first activation of it. The owners are asked together, each within the hand-off timeout.
     * @throws SiloUnavailableException when a previous owner that is still alive does not confirm
     */
    void release(ActorAddress address, Set<String> previousOwners) {
        releaseTogether(address, previousOwners, this.timeout, false, NO_CHAIN);
    }

    /**
     * Asks every live previous owner of an actor to give it up, as {@link #release(ActorAddress, Set)} does, within
     * a budget for all of them: for a child's first registration, whose asker waits for the answer (a previous
     * owner that hangs must not hold the spawn for the hand-off timeout, once per attempt). The owners are asked
     * together, each with the whole budget (at most the hand-off timeout), so that a slow one leaves the others
     * their time; a leaving one that does not confirm is then waited for to leave as by the other release, and a
     * busy one (still ending its activation) is asked again for at most {@link EarlierOwnerHandoff#BUSY_WAIT}.
     * @throws ReleaseNotConfirmedException when a previous owner that is still alive (or an earlier owner it
     * asked in turn) does not answer in time, naming every such owner (the first one's failure its cause, the
     * others suppressed in it): the registration fails for good, since asking again would wait as long
     * @throws SiloUnavailableException when one refused (its view is older, say): asking again may succeed
     */
    void release(ActorAddress address, Set<String> previousOwners, Duration budget) {
        releaseTogether(address, previousOwners, (budget.compareTo(this.timeout) < 0) ? budget : this.timeout, true,
                NO_CHAIN);
    }

    /**
     * Asks the previous owners, and the earlier owners a previous owner's answer named as not released in an earlier
     * attempt ({@link UnreleasedEarlierOwners}, asked directly: that previous owner may be gone since, and they
     * need not be in this silo's views), together. The previous owners are not told that the earlier owners are
     * asked directly, so that they still pass the request on to them.
     */
    private void releaseTogether(ActorAddress address, Set<String> previousOwners, Duration wait,
            boolean unansweredForGood, long callChainId) {
        Set<String> direct = new LinkedHashSet<>(this.unreleased.of(address));
        direct.removeAll(previousOwners);
        direct.remove(this.self);
        Set<String> askedTogether = union(previousOwners, direct);
        Map<String, CompletableFuture<Void>> confirmations = new LinkedHashMap<>();
        for (String previous : askedTogether) {
            boolean askedDirectly = direct.contains(previous);
            if (askedTogether.size() == 1) {
                confirmations.put(previous, confirmedOnThisThread(address, previous, wait, unansweredForGood,
                        previousOwners, askedDirectly, callChainId));
                continue;
            }
            try {
                confirmations.put(previous, CompletableFuture.runAsync(() -> confirmReleased(address, previous, wait,
                        unansweredForGood, previousOwners, askedDirectly, callChainId), this.executor));
            }
            catch (RejectedExecutionException ex) {
                confirmations.put(previous, CompletableFuture.failedFuture(new SiloUnavailableException("Silo "
                        + this.self + " closed its routing while it asked silo " + previous + " to give up " + address,
                        ex)));
            }
        }
        if (callChainId != NO_CHAIN && confirmations.size() > 1) {
            TurnInProgressElsewhere callback = firstCallback(confirmations.values());
            if (callback != null) {
                throw callback;
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
                if (failure instanceof ReleaseNotConfirmedException notConfirmed) {
                    unanswered.addAll(notConfirmed.silos());
                }
                failures.add(failure);
            }
        });
        if (failures.isEmpty()) {
            return;
        }
        for (Throwable failure : failures) {
            if (failure instanceof TurnInProgressElsewhere callback) {
                throw callback;
            }
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

    /**
     * Waits until every previous owner asked has answered or one has said that a turn of the starting call's chain is
     * in progress there, whichever comes first: the call back must not wait for the others' hand-overs (one slow or
     * leaving previous owner may take the hand-off timeout).
     * @return that answer, {@code null} when every previous owner answered otherwise
     */
    private static @Nullable TurnInProgressElsewhere firstCallback(Collection<CompletableFuture<Void>> confirmations) {
        return firstFound(confirmations, (ignored, failure) -> (failure != null
                && Messenger.unwrap(failure) instanceof TurnInProgressElsewhere there) ? there : null);
    }

    /**
     * Waits until one of some stages has an outcome in which {@code find} finds something, or all have completed.
     * @return what was found first, {@code null} when no outcome had anything
     */
    private static <T extends @Nullable Object, R> @Nullable R firstFound(Collection<CompletableFuture<T>> stages,
            BiFunction<? super @Nullable T, @Nullable Throwable, @Nullable R> find) {
        CompletableFuture<@Nullable R> first = new CompletableFuture<>();
        for (CompletableFuture<T> stage : stages) {
            stage.whenComplete((value, failure) -> {
                R found = find.apply(value, failure);
                if (found != null) {
                    first.complete(found);
                }
            });
        }
        CompletableFuture.allOf(stages.toArray(CompletableFuture[]::new))
            .whenComplete((ignored, failure) -> first.complete(null));
        return first.join();
    }

    private static RuntimeException asRuntime(Throwable failure) {
        return (failure instanceof RuntimeException runtime) ? runtime
                : new SiloUnavailableException(String.valueOf(failure.getMessage()), failure);
    }

    private CompletableFuture<Void> confirmedOnThisThread(ActorAddress address, String previous, Duration wait,
            boolean unansweredForGood, Set<String> previousOwners, boolean askedDirectly, long callChainId) {
        try {
            confirmReleased(address, previous, wait, unansweredForGood, previousOwners, askedDirectly, callChainId);
            return CompletableFuture.completedFuture(null);
        }
        catch (RuntimeException ex) {
            return CompletableFuture.failedFuture(ex);
        }
    }

    /**
     * {@inheritDoc}
     * <p>
     * Asks each live previous owner of an actor placed by hash within the hand-off window, together, whether a turn of
     * the chain is in progress on its activation ({@value #CALLBACK_ONLY}, within {@value #CALLBACK_QUESTION_MILLIS}
     * ms): the first that says so gets the chain's waiting calls.
     */
    @Override
    public @Nullable String callChainElsewhere(ActorAddress address, long callChainId) {
        if (callChainId == NO_CHAIN || this.silo.placements().strategyOf(address.typeName()).servesLocally()
                || this.directory.hostsChild(address)) {
            return null;
        }
        ClusterView view = this.views.current();
        List<CompletableFuture<@Nullable String>> answers = new ArrayList<>();
        for (String previous : this.views.recentOwners(address, this.placement)) {
            SiloEntry target = view.membership().silos().get(previous);
            if (target != null && target.status() != SiloStatus.DEAD && !previous.equals(this.self)) {
                answers.add(askAboutChain(address, callChainId, target));
            }
        }
        String there = firstFound(answers, (silo, failure) -> (failure == null) ? silo : null);
        if (there != null) {
            SiloEntry target = this.views.current().membership().silos().get(there);
            if (target != null && target.status() == SiloStatus.SHUTTING_DOWN) {
                this.callbacks.sendingTo(there, address, callChainId, this.timeout.toNanos());
            }
            logger.debug("Silo {} sends the waiting calls of a chain for {} to silo {}, which runs a turn of it",
                    this.self, address, there);
        }
        return there;
    }

    /** Asks one previous owner whether a turn of a chain runs there: its id when it does, else {@code null}. */
    private CompletableFuture<@Nullable String> askAboutChain(ActorAddress address, long callChainId,
            SiloEntry target) {
        Map<String, String> metadata = Map.of(CALLBACK_CHAIN, Long.toHexString(callChainId), CALLBACK_ONLY, "true");
        CompletableFuture<Envelope> answer;
        try {
            answer = this.messenger.request(Peer.of(target), new Messenger.Message(Envelope.Kind.HANDOFF, address, 0,
                    Envelope.noPayload(), 0, null, metadata, this.clock.millis() + CALLBACK_QUESTION_MILLIS),
                    () -> new SiloUnavailableException("Silo " + target.siloId() + " did not say in time whether it "
                            + "runs a turn of " + address),
                    "the question whether a turn of " + address + " runs there");
        }
        catch (RuntimeException ex) {
            return CompletableFuture.completedFuture(null);
        }
        return answer.orTimeout(CALLBACK_QUESTION_MILLIS + 1_000, TimeUnit.MILLISECONDS)
            .handle((reply, failure) -> (failure == null && reply.kind() == Envelope.Kind.ERROR
                    && Boolean.parseBoolean(reply.metadata().get(CALLBACK_THERE))) ? target.siloId() : null);
    }

    /**
     * Forgets this silo's claim of a hash-placed actor whose activation ended for good, and the directory entry of
     * a directory-placed one that ended after a failure (its hooks keep the entry of a failed instance, which a
     * supervisor may restart in place).
     */
    @Override
    public void activationEnded(ActorAddress address) {
        if (this.silo.placedWithParent(address.typeName())) {
            this.directory.claimEnded(address);
        }
        else if (this.silo.placements().strategyOf(address.typeName()).usesDirectory()) {
            this.directory.endedAfterFailure(address);
        }
    }

    /**
     * Places a child spawned here with its parent, in the directory ({@link DistributedDirectory#placeChild}); a
     * leaving silo places no child of a directory-placed type here (its calls go elsewhere, as for any such actor).
     */
    @Override
    public void childSpawned(ActorAddress child) {
        if (this.leaving.isLeaving() && this.silo.placements().strategyOf(child.typeName()).usesDirectory()) {
            return;
        }
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
            if (!this.directory.hostsChild(address)) {
                // A child placed with its parent keeps its entry: its next call activates it here again.
                this.directory.activationEnded(address);
            }
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
     * Asks the previous owner to give an actor up and waits for its confirmation. A previous owner that answers
     * that it is still ending its activation ({@link EarlierOwnerHandoff#BUSY}) is asked again after
     * {@link EarlierOwnerHandoff#BUSY_PAUSE_MILLIS}, until {@link EarlierOwnerHandoff#BUSY_WAIT} after its first such
     * answer. When it does not confirm and is gone afterwards (dead, or another incarnation), it runs nothing: only
     * when the failure is its own, not an earlier owner's that it asked in turn and names
     * ({@link DistributedDirectory#NOT_RELEASED}), which may still run the actor.
     * <p>
     * An earlier owner it names as not released is remembered ({@link UnreleasedEarlierOwners}) until a
     * {@code HANDOFF_ACK} covers it, and asked directly on the next attempt; one it names as refused only, in a
     * plain refusal, fails it as its own refusal would (asked again).
     * @param unansweredForGood whether a previous owner that does not answer in time (not one that refuses) fails
     * it with a {@link ReleaseNotConfirmedException}, which the asker of a child's registration does not retry;
     * so does an earlier owner named as not released
     * @param previousOwners this silo's own previous owners, asked together, which the previous owner does not ask
     * in turn (the earlier owners asked directly are not among them: it asks those in turn too)
     * @param askedDirectly whether the silo is an earlier owner remembered from an earlier attempt, asked one hop
     * short of the bound so that it still passes the request on to its own earlier owners
     * @param callChainId the chain of the call that starts the activation, {@link #NO_CHAIN} for none: the
     * previous owner says at once when a turn of that chain is in progress on its activation
     * @throws SiloUnavailableException when a previous owner that is still alive does not confirm
     * @throws TurnInProgressElsewhere when the previous owner runs a turn of the call's chain on the actor
     */
    private void confirmReleased(ActorAddress address, String previous, Duration wait, boolean unansweredForGood,
            Set<String> previousOwners, boolean askedDirectly, long callChainId) {
        SiloEntry target = this.views.current().membership().silos().get(previous);
        if (target == null || target.status() == SiloStatus.DEAD) {
            this.unreleased.covered(address, Set.of(previous));
            return;
        }
        Map<String, String> metadata = withCallbackChain(askedDirectly
                ? EarlierOwnerHandoff.directAsk(this.self, previousOwners)
                : EarlierOwnerHandoff.firstAsk(this.self, previousOwners), callChainId);
        boolean unanswered = false;
        Set<String> earlierNotReleased = Set.of();
        // Those among earlierNotReleased that the last answer named as refused.
        Set<String> earlierRefused = Set.of();
        // Every earlier owner a busy answer named: not released unless a later HANDOFF_ACK covers them, whatever
        // becomes of the previous owner that named them.
        Set<String> namedBusy = new LinkedHashSet<>();
        // Measured with System.nanoTime(): the clock gives the deadlines on the wire, and may not move.
        long busyEnds = 0;
        boolean busy = false;
        // A request whose link broke is asked again within the first attempt's time (BrokenLinkWait).
        long linkRetriesEnd = System.nanoTime() + wait.toNanos();
        int linkRetries = 0;
        Throwable failure;
        while (true) {
            long now = this.clock.millis();
            // A busy previous owner is asked until the busy wait ends, whether or not its link broke before.
            boolean bounded = busy || linkRetries > 0;
            long attempt = bounded ? Math.min(wait.toMillis(),
                    TimeUnit.NANOSECONDS.toMillis((busy ? busyEnds : linkRetriesEnd) - System.nanoTime()))
                    : wait.toMillis();
            AtomicBoolean expired = new AtomicBoolean();
            CompletableFuture<Envelope> answer = this.messenger.request(Peer.of(target),
                    new Messenger.Message(Envelope.Kind.HANDOFF, address, 0, Envelope.noPayload(), 0, null, metadata,
                            now + attempt),
                    () -> {
                        expired.set(true);
                        return new SiloUnavailableException("Silo " + previous + " did not confirm within "
                                + Duration.ofMillis(attempt) + " that it gave up " + address);
                    },
                    "the hand-off of " + address);
            try {
                Envelope reply = answer.get(wait.equals(this.timeout) ? attempt + 1_000 : attempt,
                        TimeUnit.MILLISECONDS);
                if (reply.kind() == Envelope.Kind.HANDOFF_ACK) {
                    logger.debug("Silo {} gave up {} for silo {}", previous, address, this.self);
                    this.unreleased.covered(address, union(namedBusy, Set.of(previous)));
                    return;
                }
                if (callChainId != NO_CHAIN && Boolean.parseBoolean(reply.metadata().get(CALLBACK_THERE))) {
                    throw new TurnInProgressElsewhere(previous);
                }
                failure = this.silo.codec().decodeFailure(reply.payload());
                Set<String> named = earlierNotReleased(previous, reply);
                this.unreleased.named(address, named);
                if (Boolean.parseBoolean(reply.metadata().get(EarlierOwnerHandoff.BUSY))) {
                    if (!busy) {
                        busy = true;
                        busyEnds = System.nanoTime() + EarlierOwnerHandoff.BUSY_WAIT.toNanos();
                    }
                    namedBusy.addAll(named);
                    long left = TimeUnit.NANOSECONDS.toMillis(busyEnds - System.nanoTime());
                    // A previous owner that is gone can no longer confirm for the earlier owners it named busy.
                    if (left > EarlierOwnerHandoff.BUSY_PAUSE_MILLIS + EarlierOwnerHandoff.BUSY_MARGIN_MILLIS
                            && !(isDead(previous) && !namedBusy.isEmpty()) && pause()) {
                        continue;
                    }
                    unanswered = true;
                    // Busy at the end: when earlier owners it asked in turn are, they are the ones not released.
                    earlierNotReleased = union(namedBusy, named);
                    break;
                }
                earlierNotReleased = union(namedBusy, named);
                earlierRefused = EarlierOwnerHandoff.refusedAmong(named, reply);
            }
            catch (ExecutionException ex) {
                failure = (ex.getCause() != null) ? ex.getCause() : ex;
                unanswered = expired.get();
                earlierNotReleased = namedBusy;
                if (!unanswered && linkRetries < BrokenLinkWait.RETRIES && BrokenLinkWait.isBrokenLink(failure)
                        && linkBack(target, busy ? busyEnds : linkRetriesEnd)) {
                    linkRetries++;
                    logger.debug("Silo {} asks silo {} again to give up {}: {}", this.self, previous, address,
                            failure.getMessage());
                    continue;
                }
            }
            catch (TimeoutException ex) {
                answer.cancel(false);
                unanswered = true;
                failure = ex;
                earlierNotReleased = namedBusy;
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                failure = ex;
                earlierNotReleased = namedBusy;
            }
            break;
        }
        if (!earlierNotReleased.isEmpty()) {
            // An earlier owner's refusal, passed up: the previous owner's departure says nothing about it.
            String message = "Silo " + this.self + " cannot activate " + address + " yet: silo " + previous
                    + " gave it up, but silos " + earlierNotReleased + ", which it asked in turn as they owned it "
                    + "before, did not confirm that they hold no activation of it (membership version "
                    + this.views.current().version() + "): " + failure.getMessage();
            if (unansweredForGood && !earlierRefused.containsAll(earlierNotReleased)) {
                throw new ReleaseNotConfirmedException(message, earlierNotReleased, failure);
            }
            throw new SiloUnavailableException(message, failure);
        }
        boolean leaving = target.status() == SiloStatus.SHUTTING_DOWN;
        String waited = leaving ? awaitDeparture(previous, target.epoch()) : "";
        ClusterView view = this.views.current();
        SiloEntry now = view.membership().silos().get(previous);
        if (now == null || now.status() == SiloStatus.DEAD || now.epoch() != target.epoch()) {
            this.unreleased.covered(address, Set.of(previous));
            return;
        }
        String stillThere = (leaving && now.status() == SiloStatus.SHUTTING_DOWN)
                ? "; it is still SHUTTING_DOWN in this silo's view " + waited
                : "";
        String message = "Silo " + this.self + " cannot activate " + address + " yet: silo " + previous
                + ", which owned it until recently, did not confirm that it holds no activation of it (membership "
                + "version " + view.version() + ")" + stillThere + ": " + failure.getMessage();
        if (unansweredForGood && unanswered) {
            throw new ReleaseNotConfirmedException(message, Set.of(previous), failure);
        }
        throw new SiloUnavailableException(message, failure);
    }

    /**
     * Waits until this silo's link to a previous owner whose {@code HANDOFF} failed with its link is up again (or a
     * view shows that owner gone, or the transport cannot tell), within the time left until a bound
     * ({@link BrokenLinkWait#linkBack}).
     * @return whether to ask it again: it is still alive in the same incarnation
     */
    private boolean linkBack(SiloEntry target, long endsNanos) {
        try {
            return this.brokenLinks.linkBack(target, TimeUnit.NANOSECONDS.toMillis(endsNanos - System.nanoTime()))
                .get();
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            return false;
        }
        catch (ExecutionException ex) {
            return false;
        }
    }

    private boolean isDead(String siloId) {
        SiloEntry entry = this.views.current().membership().silos().get(siloId);
        return entry == null || entry.status() == SiloStatus.DEAD;
    }

    private static Set<String> union(Set<String> first, Set<String> second) {
        Set<String> all = new LinkedHashSet<>(first);
        all.addAll(second);
        return all;
    }

    /**
     * Returns the earlier owners that a previous owner's refusal names as not released
     * ({@link DistributedDirectory#NOT_RELEASED}): empty when the refusal is its own; the previous owner itself
     * when the list cannot be read (whose failure it is cannot be told, so it is not taken for its own).
     */
    static Set<String> earlierNotReleased(String previous, Envelope reply) {
        Set<String> named = EarlierOwnerHandoff.silos(reply.metadata().get(DistributedDirectory.NOT_RELEASED));
        if (named == null) {
            return Set.of(previous);
        }
        Set<String> earlier = new LinkedHashSet<>(named);
        earlier.remove(previous);
        return earlier;
    }

    /**
     * Pauses before a busy previous owner is asked again, on the hand-off's executor.
     * @return whether it paused (not when interrupted or the routing is closed)
     */
    private boolean pause() {
        return pause(this.executor);
    }

    /**
     * Pauses for {@link EarlierOwnerHandoff#BUSY_PAUSE_MILLIS} on an executor; waits that plus 1 s at most.
     * @return whether it paused (not when interrupted, or when the executor is closed or did not run the pause)
     */
    static boolean pause(Executor executor) {
        try {
            CompletableFuture.runAsync(() -> {
            }, CompletableFuture.delayedExecutor(EarlierOwnerHandoff.BUSY_PAUSE_MILLIS, TimeUnit.MILLISECONDS,
                    executor)).get(EarlierOwnerHandoff.BUSY_PAUSE_MILLIS + 1_000, TimeUnit.MILLISECONDS);
            return true;
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            return false;
        }
        catch (ExecutionException | RejectedExecutionException | TimeoutException ex) {
            // A delayed task that a closed executor rejects is dropped silently: bounded, so it never hangs.
            return false;
        }
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
            this.silo.refreshFor(new SeenView(view.incarnation(), view.version() + 1));
            try {
                this.views.awaitNewerThan(view).orTimeout(remaining, TimeUnit.MILLISECONDS).get();
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

    private static Map<String, String> withCallbackChain(Map<String, String> metadata, long callChainId) {
        if (callChainId == NO_CHAIN) {
            return metadata;
        }
        Map<String, String> asked = new LinkedHashMap<>(metadata);
        asked.put(CALLBACK_CHAIN, Long.toHexString(callChainId));
        return asked;
    }

    /**
     * Reads the chain a {@code HANDOFF} names ({@value #CALLBACK_CHAIN}), {@link #NO_CHAIN} when it names none or
     * none that can be read.
     */
    static long callbackChain(Map<String, String> metadata) {
        String chain = metadata.get(CALLBACK_CHAIN);
        if (chain == null || chain.isEmpty() || chain.length() > 16) {
            return NO_CHAIN;
        }
        try {
            return Long.parseUnsignedLong(chain, 16);
        }
        catch (NumberFormatException ex) {
            return NO_CHAIN;
        }
    }

    /**
     * A previous owner's answer that a turn of the starting call's chain is in progress on its activation: the
     * calls go there instead of waiting for its hand-over. Never leaves this class.
     */
    private static final class TurnInProgressElsewhere extends RuntimeException {

        private static final long serialVersionUID = 1L;

        private final String siloId;

        TurnInProgressElsewhere(String siloId) {
            super("A turn of the call's chain is in progress on silo " + siloId, null, false, false);
            this.siloId = siloId;
        }
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
     * the actor, deactivates it if it is active here, passes the request on to the earlier owners this silo's own
     * views show ({@link EarlierOwnerHandoff}), and confirms once its activation has ended and they confirmed.
     * Answers {@link EarlierOwnerHandoff#BUSY_MARGIN_MILLIS} before the asker's deadline at the latest: when this
     * silo (or an earlier owner) is still ending its activation then, with an {@code ERROR} marked
     * {@link EarlierOwnerHandoff#BUSY} that names the earlier owners (worked out before the deactivation starts, so
     * that an answer given while it runs names them too) and, while its own deactivation runs, this silo, and the
     * asker asks again; an earlier owner that did not confirm is named ({@link DistributedDirectory#NOT_RELEASED}).
     * A request passed on (or asked directly: {@link EarlierOwnerHandoff#passedOn}) waits
     * {@link EarlierOwnerHandoff#PASSED_ON_CATCH_UP_MILLIS} at most to reach the asker's membership version before it
     * answers busy. Whichever comes first, the outcome or the deadline, is the one answer; the deadline is the
     * asker's, within this silo's own hand-off timeout.
     */
    void handoffRequested(Envelope request) {
        if (answeredForCallback(request)) {
            return;
        }
        long now = this.clock.millis();
        // The deadline comes from the asker: this silo holds the request for its own hand-off timeout at most.
        long answerBy = Math.min(request.deadlineEpochMillis() - EarlierOwnerHandoff.BUSY_MARGIN_MILLIS,
                now + this.timeout.toMillis());
        long remaining = Math.max(1, answerBy - now);
        long catchUp = EarlierOwnerHandoff.passedOn(request.metadata())
                ? Math.min(remaining, EarlierOwnerHandoff.PASSED_ON_CATCH_UP_MILLIS)
                : remaining;
        HandoffAnswer answer = new HandoffAnswer(request);
        SeenView seen = SeenView.of(request);
        if (this.views.isBehind(seen)) {
            this.silo.refreshFor(seen);
        }
        CompletableFuture<EarlierOwnerHandoff.Outcome> released = this.views.awaitView(seen)
            .orTimeout(catchUp, TimeUnit.MILLISECONDS)
            .thenCompose((view) -> {
                ActorAddress address = request.address();
                if (this.self.equals(this.placement.ownerOf(address, view))) {
                    throw new SiloUnavailableException("Silo " + this.self + " still owns " + address
                            + " in its view (membership version " + view.version() + "); silo "
                            + request.sourceSiloId() + " asked for it with membership version "
                            + SeenView.of(request).versionBeside(view));
                }
                Set<String> earlierOwners = this.earlier.earlierOwners(request);
                answer.caughtUp(earlierOwners);
                // A child placed with its parent here has no activation by hash to give up; its entry stays.
                CompletableFuture<Boolean> ended = this.directory.hosts(address)
                        ? CompletableFuture.completedFuture(false)
                        : this.silo.runtime().deactivate(address, DeactivationReason.HANDOFF);
                return ended.thenCompose((ignored) -> {
                    answer.ownActivationEnded();
                    return this.earlier.passOn(request, earlierOwners, answerBy);
                });
            });
        released.whenComplete((outcome, failure) -> onExecutor(() -> answer.with(outcome, failure)));
        CompletableFuture.delayedExecutor(remaining, TimeUnit.MILLISECONDS, this::onExecutor)
            .execute(answer::atDeadline);
    }

    /**
     * Answers a {@code HANDOFF} at once when it names the chain of the asker's starting call
     * ({@value #CALLBACK_CHAIN}) and a turn of that chain is in progress on this silo's activation of the actor:
     * the call is a call back into that turn, which this silo's hand-over of the actor waits for, so the asker
     * must send it here rather than wait. The activation's hand-over goes on as the view asked. A question about a
     * chain only ({@value #CALLBACK_ONLY}) is answered at once either way, and hands nothing over.
     * @return whether it answered
     */
    private boolean answeredForCallback(Envelope request) {
        boolean only = Boolean.parseBoolean(request.metadata().get(CALLBACK_ONLY));
        long chain = callbackChain(request.metadata());
        if (chain == NO_CHAIN && !only) {
            return false;
        }
        ActorAddress address;
        try {
            address = request.address();
        }
        catch (RuntimeException ex) {
            if (only) {
                this.messenger.answer(request, Envelope.Kind.ERROR, this.silo.codec().encodeFailure(ex));
            }
            return only;
        }
        if (chain != NO_CHAIN && this.silo.runtime().inbound().servesChain(address, chain)) {
            logger.debug("Silo {} runs a turn of {} that silo {} asked about: the call back into it comes here",
                    this.self, address, request.sourceSiloId());
            this.messenger.answer(request, Envelope.Kind.ERROR, this.silo.codec().encodeFailure(
                    new SiloUnavailableException("Silo " + this.self + " still runs a turn of " + address
                            + " in the chain of silo " + request.sourceSiloId() + "'s call: the call back into it "
                            + "runs there")),
                    Map.of(CALLBACK_THERE, "true"));
            return true;
        }
        if (only) {
            // A question about a chain only: nothing is handed over for it.
            this.messenger.answer(request, Envelope.Kind.ERROR, this.silo.codec().encodeFailure(
                    new SiloUnavailableException("Silo " + this.self + " runs no turn of " + address
                            + " in the chain silo " + request.sourceSiloId() + " asked about")));
            return true;
        }
        return false;
    }

    /** Runs a task on the hand-off's executor, or here when the executor is closed: an answer is never dropped. */
    private void onExecutor(Runnable task) {
        try {
            this.executor.execute(task);
        }
        catch (RejectedExecutionException ex) {
            task.run();
        }
    }

    /**
     * The one answer to a {@code HANDOFF}: given by the outcome or at the deadline, whichever comes first.
     */
    private final class HandoffAnswer {

        private final Envelope request;

        private final AtomicBoolean answered = new AtomicBoolean();

        /** The earlier owners the request is passed on to; null until this silo caught up. */
        private final AtomicReference<@Nullable Set<String>> earlierOwners = new AtomicReference<>();

        /** Whether this silo's own activation (if any) has ended, so that only the earlier owners may be busy. */
        private final AtomicBoolean ownActivationEnded = new AtomicBoolean();

        HandoffAnswer(Envelope request) {
            this.request = request;
        }

        void caughtUp(Set<String> earlierOwners) {
            this.earlierOwners.set(earlierOwners);
        }

        void ownActivationEnded() {
            this.ownActivationEnded.set(true);
        }

        void with(EarlierOwnerHandoff.@Nullable Outcome outcome, @Nullable Throwable failure) {
            if (!this.answered.compareAndSet(false, true)) {
                return;
            }
            if (failure == null && outcome != null && outcome.released()) {
                OwnershipHandoff.this.messenger.answer(this.request, Envelope.Kind.HANDOFF_ACK, Envelope.noPayload());
                return;
            }
            if (failure == null && outcome != null) {
                answerEarlierOwners(this.request, outcome);
                return;
            }
            Throwable cause = Messenger.unwrap((failure != null) ? failure
                    : new SiloUnavailableException("no outcome"));
            if (cause instanceof TimeoutException && this.earlierOwners.get() == null) {
                // Lagging behind is not a refusal: busy, so that the asker asks again within its busy wait.
                answerBusy(this.request, Set.of(), notCaughtUp());
                return;
            }
            OwnershipHandoff.this.messenger.answer(this.request, Envelope.Kind.ERROR,
                    OwnershipHandoff.this.silo.codec().encodeFailure(cause));
        }

        void atDeadline() {
            if (!this.answered.compareAndSet(false, true)) {
                return;
            }
            Set<String> earlierOwners = this.earlierOwners.get();
            if (earlierOwners == null) {
                answerBusy(this.request, Set.of(), notCaughtUp());
                return;
            }
            String self = OwnershipHandoff.this.self;
            if (this.ownActivationEnded.get()) {
                answerBusy(this.request, earlierOwners, new SiloUnavailableException("Silos " + earlierOwners
                        + ", which owned " + this.request.address() + " before silo " + self + ", are still ending "
                        + "their activations of it for silo " + this.request.sourceSiloId()));
                return;
            }
            // Named with the earlier owners: a silo that passes this answer on names only the silos it names.
            answerBusy(this.request, union(Set.of(self), earlierOwners), new SiloUnavailableException("Silo " + self
                    + " is still ending its activation of " + this.request.address() + " for silo "
                    + this.request.sourceSiloId() + (earlierOwners.isEmpty() ? ""
                            : ", or silos " + earlierOwners + ", which owned it before, are")));
        }

        private SiloUnavailableException notCaughtUp() {
            ClusterView now = OwnershipHandoff.this.views.current();
            return new SiloUnavailableException("Silo " + OwnershipHandoff.this.self + " did not reach membership "
                    + "version " + SeenView.of(this.request).versionBeside(now) + " in time to hand over "
                    + this.request.address() + " (it has version " + now.version() + ")");
        }
    }

    /**
     * Answers with what the earlier owners answered: any that did not answer make it a failure naming every one not
     * released; otherwise any busy make it busy; otherwise it is their refusal. Those that refused are named
     * ({@link EarlierOwnerHandoff#REFUSED}) so that the asker asks again as for a refusal of its own.
     */
    private void answerEarlierOwners(Envelope request, EarlierOwnerHandoff.Outcome outcome) {
        Throwable failure = (outcome.failure() != null) ? outcome.failure()
                : new SiloUnavailableException("an earlier owner did not confirm");
        Map<String, String> refused = outcome.refused().isEmpty() ? Map.of()
                : Map.of(EarlierOwnerHandoff.REFUSED, EarlierOwnerHandoff.joined(outcome.refused()));
        if (outcome.notReleased().isEmpty() && !outcome.busy().isEmpty()) {
            answerBusy(request, union(outcome.busy(), outcome.refused()), failure, refused);
            return;
        }
        SiloUnavailableException notReleased = new SiloUnavailableException("Silo " + this.self + " holds no "
                + "activation of " + request.address() + ", but silos " + outcome.all() + ", which owned it before "
                + "in its views, did not confirm that they gave it up: " + failure.getMessage());
        Map<String, String> metadata = new LinkedHashMap<>(refused);
        metadata.put(DistributedDirectory.NOT_RELEASED, EarlierOwnerHandoff.joined(outcome.all()));
        this.messenger.answer(request, Envelope.Kind.ERROR, this.silo.codec().encodeFailure(notReleased), metadata);
    }

    /**
     * Answers that this silo, or earlier owners it asked (named), are still ending their activations.
     */
    private void answerBusy(Envelope request, Set<String> earlierOwners, Throwable failure) {
        answerBusy(request, earlierOwners, failure, Map.of());
    }

    private void answerBusy(Envelope request, Set<String> earlierOwners, Throwable failure,
            Map<String, String> more) {
        Map<String, String> metadata = new LinkedHashMap<>(more);
        metadata.put(EarlierOwnerHandoff.BUSY, "true");
        if (!earlierOwners.isEmpty()) {
            metadata.put(DistributedDirectory.NOT_RELEASED, EarlierOwnerHandoff.joined(earlierOwners));
        }
        this.messenger.answer(request, Envelope.Kind.ERROR, this.silo.codec().encodeFailure(failure), metadata);
    }
}
