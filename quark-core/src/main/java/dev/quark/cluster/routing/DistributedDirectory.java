package dev.quark.cluster.routing;

import java.lang.invoke.VarHandle;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import dev.quark.actor.DeactivationReason;
import dev.quark.cluster.SiloNotServingException;
import dev.quark.cluster.SiloUnavailableException;
import dev.quark.cluster.directory.DirectoryEntry;
import dev.quark.cluster.directory.DirectoryPartition;
import dev.quark.cluster.directory.DirectoryRequest;
import dev.quark.cluster.membership.ClusterView;
import dev.quark.cluster.membership.SiloEntry;
import dev.quark.cluster.placement.PlacementDirector;
import dev.quark.cluster.ring.RingHash;
import dev.quark.cluster.transport.Envelope;
import dev.quark.runtime.ActivationHook;
import dev.quark.runtime.ActorAddress;
import dev.quark.runtime.ActorInstance;
import dev.quark.runtime.routing.ActorLocation;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This silo's part in the distributed directory of the actors placed by it (random and local-preferred
 * placement).
 * <ul>
 * <li>It owns the {@link DirectoryPartition} of the addresses that hash to this silo on the ring and serves
 * {@code DIRECTORY} envelopes for them; a silo that does not own an address in its view (once it has read the
 * asker's membership version) refuses, and the asker retries with its newer view.</li>
 * <li>Before a new activation starts here, it registers it with the owner of its partition (register if
 * absent): the first activation wins, a later one learns the winner and its calls go there; no second
 * instance is created.</li>
 * <li>When an activation ends, it removes its entry (only that entry, by its token), as an
 * {@link ActivationHook}; and when an activation that registered fails to activate (its constructor or a hook
 * threw before this hook's turn), as told by the activation gate.</li>
 * <li>On every new view it removes the entries of dead silos, hands the entries of the ranges it lost over
 * to their new owners, and registers again the activations it hosts whose partition moved (which restores
 * what a dead partition owner lost; an activation that finds another one registered meanwhile ends, and its
 * calls go to the other one). The new owner of a range asks its previous owner, while it is alive and within
 * the hand-off window, before it registers anything there.</li>
 * <li>It remembers where remote activations live, for callers on this silo.</li>
 * </ul>
 */
final class DistributedDirectory implements ActivationHook {

    private static final Logger logger = LoggerFactory.getLogger(DistributedDirectory.class);

    /** The key of an answer's metadata that names the silo a directory-placed actor lives on now. */
    static final String MOVED_TO = "quark-moved-to";

    /**
     * The key of a refused registration's metadata that names the live previous owners that did not give the child
     * up in time (comma-separated): the asker does not ask again ({@link ReleaseNotConfirmedException}). Also the key
     * of a {@code HANDOFF}'s {@code ERROR} that names the earlier owners that did not confirm
     * ({@link EarlierOwnerHandoff}).
     */
    static final String NOT_RELEASED = "quark-not-released";

    /**
     * The partition of an address of a directory-placed type: the silo it hashes to on the ring, whatever types
     * it hosts.
     */
    static final PlacementDirector PARTITIONS = (address, view) -> view.ring().ownerOf(RingHash.of(address));

    /** How many times a request goes to the owner of a partition that refused it because views disagreed. */
    private static final int ATTEMPTS = 4;

    /** How long a refused request waits for a newer view before it tries again. */
    private static final long RETRY_WAIT_MILLIS = 250;

    /**
     * How long a first registration (and, for a type placed with its parent, a registration again or a lookup)
     * waits in all for the previous owners' entries ({@code LOOKUP_HELD}) before it goes on without them, and how
     * long a child's first registration waits in all for their release: a previous owner that hangs must not hold
     * every first activation in its old ranges (or a parent's spawn) for the whole hand-off timeout. The entries are
     * a help (an entry handed over late is registered again by its silo, which ends a second activation started
     * meanwhile); only a claim ({@link #claim}) needs them, and waits the full timeout.
     */
    static final Duration HELD_LOOKUP_WAIT = Duration.ofSeconds(1);

    /** How many remote locations callers on this silo remember at most. */
    private static final int MAX_CACHED_LOCATIONS = 100_000;

    private final String self;

    private final ViewTracker views;

    private final Messenger messenger;

    private final SiloBinding silo;

    private final Clock clock;

    private final Duration timeout;

    private final Duration window;

    private final Executor executor;

    private final DirectoryPartition partition = new DirectoryPartition();

    private final RegistrationRounds rounds;

    /** This silo's first registrations on their way, which the round of a view installed meanwhile waits for. */
    private final RegistrationsInFlight inFlight = new RegistrationsInFlight();

    /** Guarded by {@link #viewLock}: the re-registrations of every view so far, done or not. */
    private CompletableFuture<Void> registeredAgain = CompletableFuture.completedFuture(null);

    /** Entries of ranges this silo lost, kept for the new owner's questions during the hand-off window. */
    private final ConcurrentHashMap<ActorAddress, Released> released = new ConcurrentHashMap<>();

    /**
     * Hosted activations whose last re-registration failed: registered again with every later view, and no
     * round is reported done while one is left.
     */
    private final Set<ActorAddress> notRegisteredAgain = ConcurrentHashMap.newKeySet();

    /** The activations this silo registered and hosts. */
    private final ConcurrentHashMap<ActorAddress, DirectoryEntry> hosted = new ConcurrentHashMap<>();

    /**
     * Children of directory-placed types (random, local preferred) that a parent on this silo spawned and that this
     * silo registered as living here ({@link #placeChild}), each with the entry it registered: while {@link #hosted}
     * holds that same entry, the child keeps it through its own restarts and idle deactivations, until its parent
     * ends ({@link #releaseChild}). A mark whose entry was replaced since counts for nothing; marks go with their
     * entries.
     */
    private final ConcurrentHashMap<ActorAddress, DirectoryEntry> directoryChildren = new ConcurrentHashMap<>();

    /**
     * Children of types placed with their parent whose registration from this silo, at their spawn, is in
     * flight: guarded by {@link #marks} with the tokens they got, so that a stale entry's removal never takes a
     * newer registration.
     */
    private final ConcurrentHashMap<ActorAddress, DirectoryEntry> registering = new ConcurrentHashMap<>();

    /**
     * Actors of types placed with their parent ({@link SiloBinding#placedWithParent}) that this silo, their hash
     * owner, decided to activate itself ({@link #claim}), until the activation ends for good.
     */
    private final Set<ActorAddress> claimed = ConcurrentHashMap.newKeySet();

    /**
     * Entries this partition removed ({@code UNREGISTER}, {@code REMOVE_STALE}) while it owned the address for less
     * than the hand-off window, each with the time it was removed: a previous owner may still hold the same entry
     * among its released ones (or hand it over late), and taking it again would send the calls for an actor that
     * ended (a child whose parent ended, an activation a leaving silo handed over) back to a silo that no longer
     * runs it. Kept for the window: each removal first forgets those remembered longer than the window, oldest
     * first ({@link #removedInOrder}), and so does a view change. Removed entries of the same address that name
     * several silo incarnations are all remembered, until the window has passed since the latest removal. Removals
     * outside the window remember nothing.
     */
    private final ConcurrentHashMap<ActorAddress, Removed> removed = new ConcurrentHashMap<>();

    /** The removals {@link #removed} remembered, oldest first, to forget them once the window has passed. */
    private final Queue<Map.Entry<ActorAddress, Removed>> removedInOrder = new ConcurrentLinkedQueue<>();

    /** Children whose parent ended, until their entry has left the directory. */
    private final ConcurrentHashMap<ActorAddress, CompletableFuture<Void>> releasing = new ConcurrentHashMap<>();

    /**
     * Children of directory-placed types whose registration at their spawn is in flight, until it is answered: an
     * activation of one here waits for it ({@link #awaitChildSettled}) rather than register the actor beside it.
     */
    private final ConcurrentHashMap<ActorAddress, CompletableFuture<Void>> placing = new ConcurrentHashMap<>();

    /**
     * Activations that ended here, until the owner of their partition has answered the removal of their entry
     * ({@link #activationEnded}): the entry still names this silo meanwhile.
     */
    private final ConcurrentHashMap<ActorAddress, CompletableFuture<Void>> unregistering = new ConcurrentHashMap<>();

    /** Previous owners that did not answer a {@code LOOKUP_HELD} in time, passed over for a while. */
    private final SilentPreviousOwners silentOwners;

    /** Makes a child's token and its mark one step, for {@link #removeStale}. */
    private final Object marks = new Object();

    /**
     * Where an address's entry lives: for a type hosted here and placed with its parent, its hash owner (the
     * placement director's answer), so that a child's registration and the owner's own activation are decided in one
     * partition; for the other types, the silo the address hashes to on the ring ({@link #PARTITIONS}).
     */
    private final PlacementDirector partitions;

    private final ConcurrentHashMap<ActorAddress, String> locations = new ConcurrentHashMap<>();

    private final Set<ActorAddress> lookingUp = ConcurrentHashMap.newKeySet();

    private final AtomicLong tokens = new AtomicLong();

    private final Object viewLock = new Object();

    /**
     * Makes moving lost entries from the partition to {@link #released} one step for {@code LOOKUP_HELD}: a
     * question answered between the two would find the entry in neither and let a second activation register;
     * and for the writes, which check that this silo owns the address ({@link #whileOwner}). A lock per stripe of
     * addresses, the hand-over holding all of them.
     */
    private final HandOverLocks handOverLocks = new HandOverLocks();

    private ClusterView lastView = ClusterView.EMPTY;

    /** Asks the previous owners of a hash-placed actor to give up their activations; set by the routing. */
    private PreviousOwnerRelease previousOwnerRelease = (address, previousOwners, budget) -> {
    };

    DistributedDirectory(String self, ViewTracker views, Messenger messenger, SiloBinding silo, Clock clock,
            Duration timeout, Duration window, Executor executor, SiloNotices notices, PlacementDirector placement) {
        this.partitions = (address, view) -> silo.placedWithParent(address.typeName())
                ? placement.ownerOf(address, view) : PARTITIONS.ownerOf(address, view);
        this.rounds = new RegistrationRounds(self, views, notices);
        this.silentOwners = new SilentPreviousOwners(clock, window);
        this.self = self;
        this.views = views;
        this.messenger = messenger;
        this.silo = silo;
        this.clock = clock;
        this.timeout = timeout;
        this.window = window;
        this.executor = executor;
    }

    // ------------------------------------------------------------------ callers on this silo

    /**
     * Returns where an actor's activation lives as far as this silo knows, without asking anyone; when it
     * does not know, asks the directory in the background for the next call.
     * @return the silo id, {@code null} when unknown or no longer active
     */
    @Nullable String knownLocation(ActorAddress address, ClusterView view) {
        String known = this.locations.get(address);
        if (known != null && view.isActive(known)) {
            return known;
        }
        if (known != null) {
            this.locations.remove(address, known);
        }
        if (this.lookingUp.add(address)) {
            inBackground(() -> {
                try {
                    DirectoryEntry entry = request(DirectoryRequest.Operation.LOOKUP, address, null);
                    if (entry != null) {
                        remember(address, entry.siloId());
                    }
                }
                catch (RuntimeException ex) {
                    logger.debug("Silo {} could not look {} up in the directory", this.self, address, ex);
                }
                finally {
                    this.lookingUp.remove(address);
                }
            });
        }
        return null;
    }

    /**
     * Returns the silo another activation of an actor lives on, as this silo learned when it passed a call on
     * to it; {@code null} when the actor lives here or this silo does not know.
     */
    @Nullable String livesElsewhere(ActorAddress address) {
        if (this.hosted.containsKey(address)) {
            return null;
        }
        String known = this.locations.get(address);
        return (known != null && !known.equals(this.self)) ? known : null;
    }

    /**
     * Follows what the silo a call was sent to answered about an actor that lives elsewhere: the location
     * this silo remembers, while it is still the one the call went to (or none), becomes the new one.
     * @param address the actor
     * @param askedSilo the silo the call was sent to
     * @param movedTo the silo that silo named in its answer
     */
    void moved(ActorAddress address, String askedSilo, String movedTo) {
        if (movedTo.equals(askedSilo) || movedTo.isBlank()) {
            return;
        }
        String known = this.locations.get(address);
        if (known == null) {
            remember(address, movedTo);
        }
        else if (known.equals(askedSilo)) {
            this.locations.replace(address, askedSilo, movedTo);
        }
    }

    private void remember(ActorAddress address, String siloId) {
        if (this.locations.size() >= MAX_CACHED_LOCATIONS) {
            this.locations.clear();
        }
        this.locations.put(address, siloId);
    }

    // ------------------------------------------------------------------ activations on this silo

    /**
     * Registers a new activation of an actor on this silo, on the activation's thread, before it starts. A silo that
     * stopped serving while it waited for the answer (it fenced itself, or paused, and the answer came late) does not
     * activate the actor beside where it may live by now: it takes the entry it won out again, as for an activation
     * that failed, and refuses.
     * @return {@link ActorLocation#LOCAL} when it is the one, otherwise the silo of the one registered
     * @throws SiloUnavailableException when the directory cannot be reached in time
     * @throws SiloNotServingException when this silo won the registration after it stopped serving
     */
    ActorLocation register(ActorAddress address) {
        DirectoryEntry candidate = new DirectoryEntry(this.self, this.views.ownEpoch(), this.tokens.incrementAndGet());
        RegistrationsInFlight.Registration registration = this.inFlight.begin(address);
        CompletableFuture<Void> registeredAgain = CompletableFuture.completedFuture(null);
        try {
            Answer answer = requestTelling(DirectoryRequest.Operation.REGISTER, address, candidate, registration);
            DirectoryEntry winner = answer.entry();
            if (winner == null || winner.sameSilo(candidate)) {
                this.hosted.put(address, candidate);
                if (!this.silo.isServing()) {
                    // Before any registration again could start from the entry.
                    activationEnded(address);
                    throw new SiloNotServingException("Silo " + this.self + " stopped serving while it registered "
                            + address + " in the directory: it does not activate it, and removes its entry (membership "
                            + "version " + this.views.current().version() + ")");
                }
                remember(address, this.self);
                registeredAgain = registerAgainIfMoved(address, candidate, answer.owner());
                return ActorLocation.LOCAL;
            }
            logger.debug("Silo {} did not activate {}: it lives on silo {}", this.self, address, winner.siloId());
            remember(address, winner.siloId());
            return ActorLocation.remote(winner.siloId());
        }
        finally {
            registration.endAfter(registeredAgain);
        }
    }

    @Override
    public void beforeActivate(ActorInstance actor) {
    }

    @Override
    public void afterDeactivate(ActorInstance actor, DeactivationReason reason) {
        if (this.silo.placedWithParent(actor.type().name())
                || isDirectoryChild(new ActorAddress(actor.type().name(), actor.id()))) {
            // A child placed with its parent keeps its entry through restarts and idle deactivations: it goes
            // when the parent ends (releaseChild).
            return;
        }
        if (reason == DeactivationReason.FAILURE) {
            // A failed instance: its supervisor may restart the activation in place, which keeps the entry. An
            // activation that ends for good is told by the activation gate (endedAfterFailure).
            return;
        }
        activationEnded(new ActorAddress(actor.type().name(), actor.id()));
    }

    /**
     * Removes the entry of an activation of this silo that ended for good, unless it is gone already: after a
     * failure, whose instance's {@link #afterDeactivate} kept it in case a supervisor restarted the activation in
     * place. Called by the activation gate, under the activation's lock: does not block.
     */
    void endedAfterFailure(ActorAddress address) {
        if (this.hosted.containsKey(address) && !isDirectoryChild(address)) {
            activationEnded(address);
        }
    }

    /**
     * Removes the entry of an activation of this silo that ended, deactivated or failed to activate: its
     * address is no longer hosted here, and its entry leaves the directory in the background.
     */
    void activationEnded(ActorAddress address) {
        // Recorded before the activation stops counting as hosted: a call that finds it gone finds this.
        CompletableFuture<Void> removal = new CompletableFuture<>();
        this.unregistering.put(address, removal);
        DirectoryEntry entry = this.hosted.remove(address);
        this.directoryChildren.remove(address);
        if (entry == null) {
            this.unregistering.remove(address, removal);
            removal.complete(null);
            return;
        }
        this.locations.remove(address, this.self);
        inBackgroundStage(() -> {
            try {
                request(DirectoryRequest.Operation.UNREGISTER, address, entry);
            }
            catch (RuntimeException ex) {
                logger.debug("Silo {} could not remove {} from the directory; the entry goes with its silo or "
                        + "is replaced by the next activation", this.self, address, ex);
                throw ex;
            }
        }).whenComplete((ignored, failure) -> {
            this.unregistering.remove(address, removal);
            if (failure != null) {
                removal.completeExceptionally(failure);
            }
            else {
                removal.complete(null);
            }
        });
    }

    /**
     * Returns the removal in progress of the entry of an activation that ended here ({@link #activationEnded}),
     * completed once the owner of its partition answered it, failed when the request failed (the entry may still
     * name this silo); {@code null} when none is.
     */
    @Nullable CompletableFuture<Void> unregistering(ActorAddress address) {
        return this.unregistering.get(address);
    }

    // ------------------------------------------------------------------ children placed with their parent

    /**
     * Places a child spawned by a parent on this silo with its parent: registers it in its partition (on its owner)
     * as living on this silo, before its first activation. For a type placed with its parent
     * ({@link SiloBinding#placedWithParent}) the partition is the hash owner's; for a directory-placed type (random,
     * local preferred) it is the directory's, as for any activation of it, and the child is then marked as one
     * ({@link #directoryChildren}) so that it keeps its entry until its parent ends. When the partition names
     * another live silo, or (placed with its parent) its owner runs an activation of it already, the child stays
     * there. A failed registration leaves the child placed as any actor of its type. On the parent's thread; blocks
     * for the directory's answer.
     */
    void placeChild(ActorAddress address) {
        boolean byDirectory = this.silo.placements().strategyOf(address.typeName()).usesDirectory();
        if (!(byDirectory || this.silo.placedWithParent(address.typeName())) || !this.silo.isServing()) {
            return;
        }
        CompletableFuture<Void> leaving = this.releasing.get(address);
        if (leaving != null) {
            try {
                leaving.get(this.timeout.toMillis(), TimeUnit.MILLISECONDS);
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                return;
            }
            catch (ExecutionException | TimeoutException ex) {
                return;
            }
        }
        DirectoryEntry candidate;
        CompletableFuture<Void> placed = new CompletableFuture<>();
        synchronized (this.marks) {
            DirectoryEntry running = this.hosted.get(address);
            if (running != null || this.registering.containsKey(address)) {
                if (byDirectory && running != null) {
                    // It runs here already, as any actor of its type: a child from now on, which keeps its place.
                    this.directoryChildren.put(address, running);
                }
                return;
            }
            candidate = new DirectoryEntry(this.self, this.views.ownEpoch(), this.tokens.incrementAndGet());
            this.registering.put(address, candidate);
            if (byDirectory) {
                this.placing.put(address, placed);
            }
        }
        RegistrationsInFlight.Registration registration = this.inFlight.begin(address);
        CompletableFuture<Void> registeredAgain = CompletableFuture.completedFuture(null);
        try {
            Answer answer = requestTelling(DirectoryRequest.Operation.REGISTER, address, candidate, registration);
            DirectoryEntry winner = answer.entry();
            if (winner == null || winner.equals(candidate)) {
                if (byDirectory) {
                    this.directoryChildren.put(address, candidate);
                }
                this.hosted.put(address, candidate);
                remember(address, this.self);
                registeredAgain = registerAgainIfMoved(address, candidate, answer.owner());
                logger.debug("Silo {} placed child {} with its parent", this.self, address);
            }
            else if (!winner.siloId().equals(this.self)) {
                remember(address, winner.siloId());
                logger.debug("Silo {} did not place child {} with its parent: it lives on silo {}", this.self,
                        address, winner.siloId());
            }
        }
        catch (ReleaseNotConfirmedException ex) {
            logger.warn("Silo {} did not place child {} with its parent; it is placed as any actor of its type: silos "
                    + "{}, which owned it until recently, did not answer in time whether they gave it up (busy ending "
                    + "it, or hung): {}", this.self, address, ex.silos(), ex.getMessage());
            logger.debug("Silo {}: the release of child {} not confirmed", this.self, address, ex);
        }
        catch (RuntimeException ex) {
            logger.debug("Silo {} could not register child {} with its parent; it is placed as any actor of its type",
                    this.self, address, ex);
        }
        finally {
            synchronized (this.marks) {
                this.registering.remove(address, candidate);
            }
            this.placing.remove(address, placed);
            placed.complete(null);
            registration.endAfter(registeredAgain);
        }
    }

    /**
     * Waits, for the directory's timeout at most, while a child of a directory-placed type is being placed with its
     * parent here ({@link #placeChild}) or released ({@link #releaseChild}): an activation of it that starts
     * meanwhile then runs under the child's registration, or registers the actor anew once the child's entry is
     * gone, instead of racing either. On the activation's thread.
     */
    void awaitChildSettled(ActorAddress address) {
        awaitBounded(this.placing.get(address));
        awaitBounded(this.releasing.get(address));
    }

    private void awaitBounded(@Nullable CompletableFuture<Void> step) {
        if (step == null) {
            return;
        }
        try {
            step.get(this.timeout.toMillis(), TimeUnit.MILLISECONDS);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
        catch (ExecutionException | TimeoutException ex) {
            // Go on with the directory as it is.
        }
    }

    /**
     * Removes a child's entry once its parent ended for good: from now on no activation of it starts here
     * (calls for it wait for the removal and go to its owner), the one that runs here is deactivated, then its
     * entry leaves the directory and this silo forgets it. Runs in the background; an activation that does not end
     * in time keeps its entry (it still runs here).
     */
    void releaseChild(ActorAddress address) {
        DirectoryEntry entry = this.hosted.get(address);
        if (entry == null || !(this.silo.placedWithParent(address.typeName()) || isDirectoryChild(address))) {
            return;
        }
        CompletableFuture<Void> released = new CompletableFuture<>();
        if (this.releasing.putIfAbsent(address, released) != null) {
            return;
        }
        inBackground(() -> {
            try {
                this.silo.runtime().deactivate(address, DeactivationReason.HANDOFF)
                    .get(this.timeout.toMillis(), TimeUnit.MILLISECONDS);
                if (this.silo.runtime().holdsActivation(address)) {
                    logger.warn("Silo {} keeps the directory entry of child {}: its activation did not end after "
                            + "its parent's", this.self, address);
                    return;
                }
                try {
                    request(DirectoryRequest.Operation.UNREGISTER, address, entry);
                }
                catch (RuntimeException ex) {
                    logger.debug("Silo {} could not remove child {} from the directory; the entry is removed when "
                            + "a call for it arrives here", this.self, address, ex);
                }
                this.hosted.remove(address, entry);
                this.directoryChildren.remove(address, entry);
                this.locations.remove(address, this.self);
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
            catch (ExecutionException | TimeoutException ex) {
                logger.warn("Silo {} keeps the directory entry of child {}: its activation did not end after its "
                        + "parent's", this.self, address, ex);
            }
            finally {
                this.releasing.remove(address, released);
                released.complete(null);
            }
        });
    }

    /**
     * Returns whether a child placed with its parent lives on this silo: registered here and not being released.
     */
    boolean hostsChild(ActorAddress address) {
        return this.hosted.containsKey(address) && !this.releasing.containsKey(address)
                && (this.silo.placedWithParent(address.typeName()) || isDirectoryChild(address));
    }

    /**
     * Returns whether an actor of a directory-placed type is a child this silo registered with its parent at its
     * spawn and still hosts under that registration ({@link #directoryChildren}).
     */
    private boolean isDirectoryChild(ActorAddress address) {
        DirectoryEntry child = this.directoryChildren.get(address);
        // An entry of an earlier incarnation of this silo (declared dead, joined again) left the directory with it.
        return child != null && this.hosted.get(address) == child && child.epoch() == this.views.ownEpoch();
    }

    /**
     * Returns the removal of a child's entry that is in progress, or {@code null}.
     */
    @Nullable CompletableFuture<Void> releasing(ActorAddress address) {
        return this.releasing.get(address);
    }

    /**
     * Removes an entry that names this silo, which neither hosts nor registers its actor: what a failed (or late)
     * removal left behind, which would send its calls here — a child placed with its parent, or, on a leaving
     * silo, a directory-placed actor whose activation here ended. Only this silo's registrations up to now go
     * (by token), never a newer one.
     * @return a stage completed once the owner answered (or the request failed)
     */
    CompletableFuture<Void> removeStale(ActorAddress address) {
        DirectoryEntry bound;
        synchronized (this.marks) {
            if (this.hosted.containsKey(address) || this.registering.containsKey(address)) {
                return CompletableFuture.completedFuture(null);
            }
            bound = new DirectoryEntry(this.self, this.views.ownEpoch(), this.tokens.get());
        }
        return inBackgroundStage(() -> {
            try {
                request(DirectoryRequest.Operation.REMOVE_STALE, address, bound);
            }
            catch (RuntimeException ex) {
                logger.debug("Silo {} could not remove a stale directory entry of {}", this.self, address, ex);
            }
        });
    }

    /**
     * Removes a stale entry naming this silo as {@link #removeStale} does, waiting for the owner's answer at most
     * the directory's timeout.
     * @return a stage completed once the owner answered, the request failed, or the timeout passed
     */
    CompletableFuture<Void> removeStaleWithinTimeout(ActorAddress address) {
        return removeStale(address).completeOnTimeout(null, this.timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Decides, on the hash owner of an actor of a type placed with its parent and in its own partition, whether
     * its new activation starts here: not when the partition names another live silo (a child its parent placed there). First asks the
     * previous owners within the hand-off window for their entry, and holds after an owner died until the live
     * silos have registered again what they host ({@link #awaitRegisteredAgain}). Then it marks the actor claimed
     * and reads the partition, while a registration writes the partition and then reads the marks
     * ({@link #registeredFirst}), each with a full fence between: one of the two sees the other. The mark stays
     * until the activation ends for good (restarts keep it), and is taken back when the call goes elsewhere, or when
     * this silo stopped serving while it waited (as {@link #register} checks).
     * @param previousOwners the silos that owned the actor in views replaced within the hand-off window
     * @return {@link ActorLocation#LOCAL}, or the silo the partition names
     * @throws SiloNotServingException when this silo would start the activation but stopped serving meanwhile
     */
    ActorLocation claim(ActorAddress address, Set<String> previousOwners) {
        ClusterView view = this.views.current();
        if (!previousOwners.isEmpty()) {
            adoptFromPreviousOwners(address, view, true);
        }
        awaitRegisteredAgain(address, view);
        this.claimed.add(address);
        VarHandle.fullFence();
        DirectoryEntry entry = this.partition.lookup(address);
        if (entry != null && !entry.siloId().equals(this.self) && entry.isAliveIn(this.views.current())) {
            this.claimed.remove(address);
            remember(address, entry.siloId());
            return ActorLocation.remote(entry.siloId());
        }
        if (!this.silo.isServing()) {
            this.claimed.remove(address);
            throw new SiloNotServingException("Silo " + this.self + " stopped serving while it claimed " + address
                    + ": it does not activate it (membership version " + this.views.current().version() + ")");
        }
        return ActorLocation.LOCAL;
    }

    /**
     * Forgets the claim of an activation of a hash-placed actor that ended here for good.
     */
    void claimEnded(ActorAddress address) {
        this.claimed.remove(address);
    }

    /**
     * Registers a child of a type placed with its parent in this partition, on its owner: a first registration naming
     * another silo stands only when this silo has not claimed the actor for an activation of its own (checked
     * after the write, see {@link #claim}); otherwise it is taken back and the answer names this silo. An
     * activation held here for the re-registration rounds has not claimed yet: the registration it waits for
     * wins.
     */
    private DirectoryEntry registeredFirst(ActorAddress address, DirectoryEntry entry, ClusterView view) {
        DirectoryPartition.Registration registration = this.partition.registerTelling(address, entry, view);
        if (!registration.first() || entry.siloId().equals(this.self)) {
            return Objects.requireNonNull(registration.entry(), "a registration leaves an entry");
        }
        VarHandle.fullFence();
        if (this.claimed.contains(address)) {
            this.partition.unregister(address, entry);
            logger.debug("Silo {} refused to register {} on silo {}: it runs here", this.self, address,
                    entry.siloId());
            return new DirectoryEntry(this.self, this.views.ownEpoch(), 0);
        }
        return entry;
    }

    /**
     * Returns whether this silo registered an activation of an actor that has not ended yet.
     */
    boolean hosts(ActorAddress address) {
        return this.hosted.containsKey(address);
    }

    /**
     * Returns how many activations this silo registered and hosts.
     */
    int hostedCount() {
        return this.hosted.size();
    }

    /**
     * Returns how many entries this silo's partition holds.
     */
    int partitionSize() {
        return this.partition.size();
    }

    /**
     * Returns whether every silo that may host activations in the current view has reported its re-registrations
     * done for a version or a newer one ({@link RegistrationRounds}).
     */
    boolean roundsReported(long version) {
        return this.rounds.missing(version, this.views.current()).isEmpty();
    }

    /**
     * Returns how many removed entries this partition remembers ({@link #removed}).
     */
    int removalsRemembered() {
        return this.removed.size();
    }

    // ------------------------------------------------------------------ membership changes

    /**
     * Follows a new view: drops the entries of dead silos, hands lost ranges over, registers again the
     * activations whose partition moved. The work runs in the background, in order of views; once the
     * re-registrations of this view and of every older one are done, this silo tells every other silo
     * ({@link RegistrationRounds}).
     */
    void viewChanged(ClusterView view) {
        // Called by the view tracker's listener, on the installing thread: the count is this view's stamp.
        long stamp = this.views.installs();
        ClusterView previous;
        synchronized (this.viewLock) {
            previous = this.lastView;
            this.lastView = view;
        }
        if (previous.incarnation().equals(view.incarnation()) && view.version() <= previous.version()) {
            // The table lost its latest writes (a replica that missed them took over) and its versions are written
            // again: the rounds reported with the views it lost say nothing of the new ones.
            this.rounds.wentBack(view, stamp);
        }
        this.rounds.viewChanged();
        int dead = this.partition.removeDead(view);
        if (dead > 0) {
            logger.info("Silo {} removed {} directory entries of dead silos (membership version {})", this.self,
                    dead, view.version());
        }
        long now = this.clock.millis();
        this.released.values().removeIf((entry) -> now - entry.atMillis() >= this.window.toMillis());
        forgetRemovedBefore(now - this.window.toMillis());
        List<Map.Entry<ActorAddress, DirectoryEntry>> lost = this.handOverLocks.forAll(() -> {
            List<Map.Entry<ActorAddress, DirectoryEntry>> removedHere = this.partition
                .removeWhere((address) -> !this.self.equals(this.partitions.ownerOf(address, view)));
            removedHere.forEach((entry) -> this.released.put(entry.getKey(), new Released(entry.getValue(), now)));
            return removedHere;
        });
        for (Map.Entry<ActorAddress, DirectoryEntry> entry : lost) {
            inBackground(() -> handOver(entry.getKey(), entry.getValue()));
        }
        if (!lost.isEmpty()) {
            logger.info("Silo {} hands {} directory entries over to their new owners (membership version {})",
                    this.self, lost.size(), view.version());
        }
        List<CompletableFuture<Void>> again = new ArrayList<>();
        // Before reading what is hosted: a registration that ends after this is either read there or waited for.
        again.add(this.inFlight.settledFor(stamp,
                (address) -> OwnerIncarnation.of(this.partitions.ownerOf(address, view), view)));
        for (Iterator<Map.Entry<ActorAddress, DirectoryEntry>> it = this.hosted.entrySet().iterator(); it.hasNext();) {
            Map.Entry<ActorAddress, DirectoryEntry> entry = it.next();
            ActorAddress address = entry.getKey();
            OwnerIncarnation before = OwnerIncarnation.of(this.partitions.ownerOf(address, previous), previous);
            OwnerIncarnation after = OwnerIncarnation.of(this.partitions.ownerOf(address, view), view);
            if (after != null && (!after.equals(before) || this.notRegisteredAgain.contains(address))) {
                again.add(inBackgroundStage(() -> registerAgain(address, entry.getValue())));
            }
        }
        CompletableFuture<Void> round;
        synchronized (this.viewLock) {
            again.add(this.registeredAgain);
            round = CompletableFuture.allOf(again.toArray(CompletableFuture[]::new));
            this.registeredAgain = round;
        }
        round.whenComplete((ignored, failure) -> {
            this.notRegisteredAgain.removeIf((address) -> !this.hosted.containsKey(address));
            if (failure == null && this.notRegisteredAgain.isEmpty()) {
                this.rounds.finished(view, stamp);
            }
            else {
                logger.debug("Silo {} does not report its directory registrations for membership version {} done: "
                        + "{} activations are not registered again", this.self, view.version(),
                        this.notRegisteredAgain.size(), failure);
            }
        });
    }

    private void handOver(ActorAddress address, DirectoryEntry entry) {
        try {
            request(DirectoryRequest.Operation.ADOPT, address, entry);
        }
        catch (RuntimeException ex) {
            logger.debug("Silo {} could not hand the directory entry of {} over; its silo registers it again",
                    this.self, address, ex);
        }
    }

    private void registerAgain(ActorAddress address, DirectoryEntry entry) {
        if (this.hosted.get(address) != entry) {
            this.notRegisteredAgain.remove(address);
            return;
        }
        DirectoryEntry winner;
        try {
            winner = request(DirectoryRequest.Operation.REGISTER_AGAIN, address, entry);
        }
        catch (RuntimeException ex) {
            this.notRegisteredAgain.add(address);
            logger.warn("Silo {} could not register {} again with the new owner of its directory partition; it "
                    + "tries again with the next view, and reports no round done until then", this.self, address,
                    ex);
            return;
        }
        this.notRegisteredAgain.remove(address);
        if (winner != null && !winner.sameSilo(entry) && this.hosted.remove(address, entry)) {
            this.directoryChildren.remove(address, entry);
            logger.info("Silo {} deactivates {}: while its directory partition moved, silo {} registered another "
                    + "activation of it", this.self, address, winner.siloId());
            remember(address, winner.siloId());
            this.silo.runtime().deactivate(address, DeactivationReason.HANDOFF);
        }
    }

    /**
     * Registers an activation again with the current owner of its partition when the registration that just
     * returned was answered by another owner (or another incarnation of it): the view changed while it was in
     * flight, and the re-registration of that view ({@link #viewChanged}) may have run before the activation was
     * recorded as hosted, so it did not take it. The old owner hands its entry over only while it can, and keeps
     * it for its successor's questions only for the hand-off window; after that the new owner would activate the
     * actor a second time. Read after the activation was recorded: a view installed later re-registers it anyway.
     * @return a stage completed once the registration again is done (at once when none is needed), which the
     * rounds of the views installed meanwhile wait for ({@link RegistrationsInFlight})
     */
    private CompletableFuture<Void> registerAgainIfMoved(ActorAddress address, DirectoryEntry entry,
            @Nullable OwnerIncarnation answeredBy) {
        ClusterView now = this.views.current();
        OwnerIncarnation owner = OwnerIncarnation.of(this.partitions.ownerOf(address, now), now);
        if (owner == null || owner.equals(answeredBy)) {
            return CompletableFuture.completedFuture(null);
        }
        logger.debug("Silo {} registers {} again: silo {} answered its registration, silo {} owns its partition now",
                this.self, address, (answeredBy != null) ? answeredBy.siloId() : null, owner.siloId());
        return inBackgroundStage(() -> registerAgain(address, entry));
    }

    // ------------------------------------------------------------------ the partition's owner

    /**
     * Serves a {@code DIRECTORY} envelope in the background: once this silo's view is as new as the asker's,
     * answers it when this silo owns the address's partition, refuses it otherwise.
     */
    void received(Envelope request) {
        inBackground(() -> serve(request));
    }

    private void serve(Envelope request) {
        try {
            DirectoryRequest asked = DirectoryRequest.decode(request.payload());
            ActorAddress address = request.address();
            if (asked.operation() == DirectoryRequest.Operation.LOOKUP_HELD) {
                DirectoryEntry held = this.handOverLocks.forAddress(address, () -> {
                    DirectoryEntry here = this.partition.lookup(address);
                    Released gone = this.released.get(address);
                    return (here != null) ? here : (gone != null) ? gone.entry() : null;
                });
                this.messenger.answer(request, Envelope.Kind.RESPONSE, DirectoryRequest.encodeAnswer(held));
                return;
            }
            ClusterView view = catchUp(request);
            String owner = this.partitions.ownerOf(address, view);
            if (!this.self.equals(owner)) {
                throw new SiloUnavailableException("Silo " + this.self + " does not own the directory partition of "
                        + address + " in membership version " + view.version() + " (silo " + owner + " does)");
            }
            DirectoryEntry answer = serveHere(asked.operation(), address, asked.entry(), view);
            this.messenger.answer(request, Envelope.Kind.RESPONSE, DirectoryRequest.encodeAnswer(answer));
        }
        catch (ReleaseNotConfirmedException ex) {
            // Sent as the plain failure it stands for: the exception type is this silo's own, the mark says it.
            SiloUnavailableException plain = new SiloUnavailableException(String.valueOf(ex.getMessage()),
                    ex.getCause());
            this.messenger.answer(request, Envelope.Kind.ERROR, this.silo.codec().encodeFailure(plain),
                    Map.of(NOT_RELEASED, String.join(",", ex.silos())));
        }
        catch (RuntimeException ex) {
            this.messenger.answer(request, Envelope.Kind.ERROR, this.silo.codec().encodeFailure(ex));
        }
    }

    private ClusterView catchUp(Envelope request) {
        ClusterView view = this.views.current();
        SeenView seen = SeenView.of(request);
        if (!this.views.isBehind(seen)) {
            return view;
        }
        this.silo.refreshFor(seen);
        CompletableFuture<ClusterView> caughtUp = this.views.awaitView(seen);
        try {
            return caughtUp.get(RETRY_WAIT_MILLIS * 4, TimeUnit.MILLISECONDS);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
        catch (ExecutionException | TimeoutException ex) {
            // Served with the view it has.
        }
        caughtUp.cancel(false);
        return this.views.current();
    }

    private @Nullable DirectoryEntry serveHere(DirectoryRequest.Operation operation, ActorAddress address,
            @Nullable DirectoryEntry given, ClusterView view) {
        boolean child = this.silo.placedWithParent(address.typeName());
        if (operation == DirectoryRequest.Operation.LOOKUP || operation == DirectoryRequest.Operation.LOOKUP_HELD) {
            if (child) {
                adoptFromPreviousOwners(address, view);
            }
            DirectoryEntry found = this.partition.lookup(address);
            return (found != null && found.isAliveIn(view)) ? found : null;
        }
        DirectoryEntry entry = Objects.requireNonNull(given, "a directory " + operation + " needs an entry");
        switch (operation) {
            case REGISTER, REGISTER_AGAIN -> {
                if (!entry.isAliveIn(view)) {
                    // An older view than the registering silo's: an entry of a silo it does not know yet would
                    // look dead to it, and the next registration would replace it.
                    throw new SiloUnavailableException("Silo " + this.self + " cannot register " + address
                            + " for silo " + entry.siloId() + " (epoch " + entry.epoch() + "): its view (membership "
                            + "version " + view.version() + ") does not have that silo alive yet");
                }
                if (child || operation == DirectoryRequest.Operation.REGISTER) {
                    // A first registration, of any type, may arrive before the entry that a previous owner hands
                    // over (ADOPT) or that the host registers again (REGISTER_AGAIN): it takes the previous owners'
                    // entries first. Types placed with their parent ask before a registration again too.
                    adoptFromPreviousOwners(address, view);
                }
                if (child && operation == DirectoryRequest.Operation.REGISTER && !entry.siloId().equals(this.self)) {
                    // A child's first registration at a new owner: the previous owners give up the activations
                    // they still run, as before this owner's own first activation; within HELD_LOOKUP_WAIT in
                    // all, not the hand-off timeout each, since the asker waits for this answer.
                    this.previousOwnerRelease.release(address, this.views.recentOwners(address, this.partitions),
                            HELD_LOOKUP_WAIT);
                }
                ClusterView registeringIn = view;
                if (operation == DirectoryRequest.Operation.REGISTER && awaitRegisteredAgain(address, view)) {
                    ClusterView now = this.views.current();
                    String owner = this.partitions.ownerOf(address, now);
                    if (!this.self.equals(owner)) {
                        throw new SiloUnavailableException("Silo " + this.self + " no longer owns the directory "
                                + "partition of " + address + " in membership version " + now.version() + " (silo "
                                + owner + " does)");
                    }
                    registeringIn = now;
                }
                ClusterView registered = registeringIn;
                return whileOwner(address, operation, () -> child ? registeredFirst(address, entry, registered)
                        : this.partition.register(address, entry, registered));
            }
            case UNREGISTER -> {
                rememberRemoved(address, entry);
                this.partition.unregister(address, entry);
                return null;
            }
            case REMOVE_STALE -> {
                rememberRemoved(address, entry);
                if (this.partition.removeStale(address, entry)) {
                    logger.debug("Silo {} removed a stale directory entry of {} naming silo {}", this.self, address,
                            entry.siloId());
                }
                return null;
            }
            default -> {
                return whileOwner(address, operation, () -> adoptHere(address, entry, view));
            }
        }
    }

    /**
     * Writes an entry into this partition only while this silo owns the address in its current view, as one step
     * with the hand-over of lost entries ({@link #viewChanged}, under {@link #handOverLocks}): a write that comes
     * before the hand-over of a view that takes the address away is handed over with the others, and one after
     * it is refused, so that the asker tries again with the new owner. Without it, a registration that waited
     * (for the previous owners' release, for the re-registration rounds) while the view changed would leave an
     * entry in a partition nobody asks any more, and the new owner would activate the actor a second time.
     * @throws SiloUnavailableException when this silo no longer owns the address
     */
    private @Nullable DirectoryEntry whileOwner(ActorAddress address, DirectoryRequest.Operation operation,
            Supplier<@Nullable DirectoryEntry> write) {
        return this.handOverLocks.forAddress(address, () -> {
            ClusterView now = this.views.current();
            String owner = this.partitions.ownerOf(address, now);
            if (!this.self.equals(owner)) {
                throw new SiloUnavailableException("Silo " + this.self + " no longer owns the directory partition of "
                        + address + " in membership version " + now.version() + " (silo " + owner + " does): it "
                        + "does not " + operation + " it");
            }
            return write.get();
        });
    }

    /**
     * Takes an entry handed over (or held by a previous owner) into this partition. For a type placed with its
     * parent, an entry naming another silo that takes the place of no live one stands only when this silo has not claimed
     * the actor for an activation of its own, read after the write as a child's first registration does
     * ({@link #registeredFirst}); otherwise it is taken back: its silo learns it when it registers the actor
     * again with this owner, and ends its activation.
     * @return the entry registered afterwards, {@code null} when none
     */
    private @Nullable DirectoryEntry adoptHere(ActorAddress address, DirectoryEntry entry, ClusterView view) {
        if (wasRemoved(address, entry)) {
            logger.debug("Silo {} did not take over the entry of {} naming silo {}: it removed it already", this.self,
                    address, entry.siloId());
            return this.partition.lookup(address);
        }
        DirectoryPartition.Registration adopted = this.partition.adoptTelling(address, entry, view);
        if (!adopted.first() || entry.siloId().equals(this.self) || !this.silo.placedWithParent(address.typeName())) {
            return adopted.entry();
        }
        VarHandle.fullFence();
        if (this.claimed.contains(address)) {
            this.partition.unregister(address, entry);
            logger.debug("Silo {} did not take over the entry of {} naming silo {}: it runs here", this.self, address,
                    entry.siloId());
            return null;
        }
        return adopted.entry();
    }

    /**
     * Holds the first registration of an activation in a range this silo gained within the hand-off window until
     * every silo that may host activations has registered again the ones it hosts there
     * ({@link RegistrationRounds}), for at most half the directory's timeout: a partition whose owner died is
     * empty until they have, and the activation registered meanwhile would be a second one. Held only when an
     * owner of the address's partition in the views kept is dead, gone or restarted: after joins and first views
     * the previous owners are alive and were asked for their entry ({@link #adoptFromPreviousOwners}). Not held
     * when the partition has a live entry for the address (the registration gets it).
     * @return whether it waited (the view may have changed meanwhile)
     */
    private boolean awaitRegisteredAgain(ActorAddress address, ClusterView view) {
        DirectoryEntry existing = this.partition.lookup(address);
        if (existing != null && existing.isAliveIn(view)) {
            return false;
        }
        boolean child = this.silo.placedWithParent(address.typeName());
        long gained = this.views.gainedAt(address, this.partitions, child);
        if (gained <= 0 || !(this.views.ownerLost(address, this.partitions, child)
                || (child && this.views.ownedSinceStart(address, this.partitions)))) {
            return false;
        }
        this.rounds.await(gained, address, this.timeout.toMillis() / 2);
        return true;
    }

    /**
     * Asks the silos that owned an address's partition in the views replaced within the hand-off window, and
     * are still alive, for their entry, unless this partition has a live one: so that an activation
     * registered there is not registered twice while the entries move (a leaving or a staying previous owner's
     * {@code ADOPT}, or the host's {@code REGISTER_AGAIN}, may still be on its way). Before every first
     * registration within the window; for types placed with their parent also before a registration again and a
     * lookup.
     */
    private void adoptFromPreviousOwners(ActorAddress address, ClusterView view) {
        adoptFromPreviousOwners(address, view, false);
    }

    /**
     * Asks the previous owners for their entry (see above), together; {@code strict} for a claim: a previous owner
     * that is still alive and does not answer within the hand-off timeout fails it, since the entry it may hold
     * names a child that runs elsewhere. Otherwise each previous owner gets {@link #HELD_LOOKUP_WAIT} (so they get
     * that in all), and one that does not answer in time is passed over, and remembered
     * ({@link SilentPreviousOwners}): the next first registrations pass it over at once. For a type not placed with
     * its parent nobody is asked once every silo that may host activations has reported its re-registrations done
     * for the view in which this silo gained the address's partition, or a newer one ({@link RegistrationRounds}):
     * every live activation there is registered here by then, whatever the previous owners hold; unless this silo
     * owned the address before a view between within the window ({@link ViewTracker#regainedWithinWindow}), where a
     * host that skipped those views reported its round without registering anything again.
     * @throws SiloUnavailableException when strict and a live previous owner did not answer
     */
    private void adoptFromPreviousOwners(ActorAddress address, ClusterView view, boolean strict) {
        if (!this.views.changedWithinWindow()) {
            // No view replaced within the window: no previous owner (recentOwners would say so under its lock).
            return;
        }
        DirectoryEntry existing = this.partition.lookup(address);
        if (existing != null && existing.isAliveIn(view)) {
            return;
        }
        Set<String> previousOwners = this.views.recentOwners(address, this.partitions);
        if (previousOwners.isEmpty() || (!strict && registeredAgainEverywhere(address))) {
            return;
        }
        Duration wait = (strict || this.timeout.compareTo(HELD_LOOKUP_WAIT) < 0) ? this.timeout : HELD_LOOKUP_WAIT;
        long deadline = System.nanoTime() + wait.toNanos();
        Map<SiloEntry, CompletableFuture<Envelope>> answers = new LinkedHashMap<>();
        for (String previous : previousOwners) {
            SiloEntry target = view.membership().silos().get(previous);
            if (target == null) {
                continue;
            }
            if (!strict && this.silentOwners.isSilent(target)) {
                logger.debug("Silo {} does not wait for silo {}, which did not answer a question for a directory "
                        + "entry, before it registers {}", this.self, previous, address);
                if (this.silentOwners.askAgain(target)) {
                    this.silentOwners.askedAgain(target, askHeld(target, address));
                }
                continue;
            }
            answers.put(target, askHeld(target, address));
        }
        answers.forEach((target, answer) -> {
            String previous = target.siloId();
            RuntimeException failure;
            try {
                Envelope reply = answer.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (reply.kind() == Envelope.Kind.RESPONSE) {
                    DirectoryEntry held = DirectoryRequest.decodeAnswer(reply.payload());
                    if (held != null) {
                        adoptHeld(address, held, view);
                    }
                    return;
                }
                failure = asRuntime(this.silo.codec().decodeFailure(reply.payload()));
            }
            catch (TimeoutException ex) {
                failure = new SiloUnavailableException("Silo " + previous + " did not answer the directory "
                        + DirectoryRequest.Operation.LOOKUP_HELD + " of " + address + " within " + wait, ex);
                if (!strict) {
                    logger.debug("Silo {} passes silo {} over for the directory entries of its old ranges until it "
                            + "answers: it did not answer within {}", this.self, previous, wait);
                }
                this.silentOwners.noAnswer(target, answer);
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                answer.cancel(false);
                failure = new SiloUnavailableException("Interrupted while waiting for the directory "
                        + DirectoryRequest.Operation.LOOKUP_HELD + " of " + address, ex);
            }
            catch (ExecutionException | CancellationException ex) {
                failure = asRuntime((ex.getCause() != null) ? ex.getCause() : ex);
            }
            catch (RuntimeException ex) {
                // Decoding the answer or adopting the entry failed: as a previous owner that did not answer.
                failure = ex;
            }
            logger.debug("Silo {} could not ask silo {} for the directory entry of {}", this.self, previous, address,
                    failure);
            if (strict && this.views.recentOwners(address, this.partitions).contains(previous)) {
                throw new SiloUnavailableException("Silo " + this.self + " cannot activate " + address + " yet: silo "
                        + previous + ", which owned it until recently, did not tell whether a child of that address "
                        + "is registered elsewhere (membership version " + this.views.current().version() + "): "
                        + failure.getMessage(), failure);
            }
        });
    }

    /**
     * Tells whether every silo that may host activations has registered again, with their new partition owners,
     * what it hosts up to the view in which this silo gained an address's partition (for a type not placed with
     * its parent): a previous owner's entry for a live activation is then registered here already, or was removed.
     */
    private boolean registeredAgainEverywhere(ActorAddress address) {
        // Away and back within the window: a host that skipped the views between saw no move and registered nothing
        // again, yet reports its round, while a silo of those views may still hold the actor's entry.
        if (this.silo.placedWithParent(address.typeName()) || this.views.regainedWithinWindow(address, this.partitions)) {
            return false;
        }
        long gained = this.views.gainedAt(address, this.partitions);
        return gained > 0 && this.rounds.missing(gained, this.views.current()).isEmpty();
    }

    /**
     * Asks a previous owner for the entry it holds ({@code LOOKUP_HELD}), with the hand-off timeout as the question's
     * deadline: the asker waits less, and an answer that comes after it stopped waiting still tells that the silo
     * answers ({@link SilentPreviousOwners}).
     * @return the answer's stage, failed when the question could not be sent
     */
    private CompletableFuture<Envelope> askHeld(SiloEntry target, ActorAddress address) {
        DirectoryRequest.Operation operation = DirectoryRequest.Operation.LOOKUP_HELD;
        try {
            return this.messenger.ask(Peer.of(target), Messenger.Message.control(Envelope.Kind.DIRECTORY, address,
                    new DirectoryRequest(operation, null).encode(), this.clock.millis() + this.timeout.toMillis()),
                    () -> new SiloUnavailableException("Silo " + target.siloId() + " did not answer the directory "
                            + operation + " of " + address + " within " + this.timeout),
                    "the directory " + operation + " of " + address);
        }
        catch (RuntimeException ex) {
            return CompletableFuture.failedFuture(ex);
        }
    }

    private void adoptHeld(ActorAddress address, DirectoryEntry held, ClusterView view) {
        whileOwner(address, DirectoryRequest.Operation.ADOPT, () -> adoptHere(address, held, view));
    }

    // ------------------------------------------------------------------ requests to partition owners

    /**
     * Sends a request to the owner of the address's partition (or serves it here when this silo owns it) and
     * waits for the answer, trying again with a newer view when the owner refuses it.
     */
    private @Nullable DirectoryEntry request(DirectoryRequest.Operation operation, ActorAddress address,
            @Nullable DirectoryEntry entry) {
        return requestTelling(operation, address, entry).entry();
    }

    /**
     * Sends a request as {@link #request} does, and tells which owner (in its incarnation) answered it.
     */
    private Answer requestTelling(DirectoryRequest.Operation operation, ActorAddress address,
            @Nullable DirectoryEntry entry) {
        return requestTelling(operation, address, entry, null);
    }

    /**
     * Sends a request as {@link #request} does, telling a first registration on its way the view of each attempt.
     */
    private Answer requestTelling(DirectoryRequest.Operation operation, ActorAddress address,
            @Nullable DirectoryEntry entry, RegistrationsInFlight.@Nullable Registration registration) {
        RuntimeException last = null;
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            ClusterView view = this.views.current();
            if (registration != null) {
                view = recordAttempt(registration, address);
            }
            String owner = this.partitions.ownerOf(address, view);
            if (owner == null) {
                throw new SiloUnavailableException("Silo " + this.self + " cannot reach the directory entry of "
                        + address + ": no active silo on the ring (membership version " + view.version() + ")");
            }
            if (owner.equals(this.self)) {
                try {
                    return new Answer(serveHere(operation, address, entry, view), OwnerIncarnation.of(owner, view));
                }
                catch (ReleaseNotConfirmedException ex) {
                    throw ex;
                }
                catch (SiloUnavailableException ex) {
                    if (this.self.equals(this.partitions.ownerOf(address, this.views.current()))) {
                        throw ex;
                    }
                    // The view moved the partition away while it was served here: asked again of its new owner.
                    last = ex;
                    awaitNewerView(view);
                    continue;
                }
            }
            SiloEntry target = view.membership().silos().get(owner);
            try {
                if (target == null) {
                    throw new SiloUnavailableException("silo " + owner + " has no entry");
                }
                Envelope reply = send(target, operation, address, entry);
                if (reply.kind() == Envelope.Kind.RESPONSE) {
                    return new Answer(DirectoryRequest.decodeAnswer(reply.payload()), OwnerIncarnation.of(owner, view));
                }
                last = asRuntime(this.silo.codec().decodeFailure(reply.payload()));
                String notReleased = reply.metadata().get(NOT_RELEASED);
                if (notReleased != null) {
                    throw new ReleaseNotConfirmedException("Silo " + this.self + " could not " + operation.name()
                            .toLowerCase() + " " + address + " with silo " + owner + ", the owner of its partition: "
                            + "silos " + notReleased + ", which owned it before, did not confirm in time that they "
                            + "gave it up (not asked again): " + last.getMessage(),
                            Set.copyOf(Arrays.asList(notReleased.split(","))), last);
                }
            }
            catch (ReleaseNotConfirmedException ex) {
                throw ex;
            }
            catch (RuntimeException ex) {
                last = ex;
            }
            awaitNewerView(view);
        }
        throw new SiloUnavailableException("Silo " + this.self + " could not " + operation.name().toLowerCase()
                + " " + address + " in the directory after " + ATTEMPTS + " attempts (membership version "
                + this.views.current().version() + "): " + ((last != null) ? last.getMessage() : "no answer"), last);
    }

    private Envelope send(SiloEntry target, DirectoryRequest.Operation operation, ActorAddress address,
            @Nullable DirectoryEntry entry) {
        return send(target, operation, address, entry, this.timeout);
    }

    private Envelope send(SiloEntry target, DirectoryRequest.Operation operation, ActorAddress address,
            @Nullable DirectoryEntry entry, Duration wait) {
        long deadline = this.clock.millis() + wait.toMillis();
        Messenger.Message message = Messenger.Message.control(Envelope.Kind.DIRECTORY, address,
                new DirectoryRequest(operation, entry).encode(), deadline);
        Supplier<SiloUnavailableException> expired = () -> new SiloUnavailableException("Silo " + target.siloId()
                + " did not answer the directory " + operation + " of " + address + " within " + wait);
        String description = "the directory " + operation + " of " + address;
        // A lookup changes nothing: a leaving silo's wait for idle waits for the directory's writes only.
        CompletableFuture<Envelope> answer = (operation == DirectoryRequest.Operation.LOOKUP)
                ? this.messenger.ask(Peer.of(target), message, expired, description)
                : this.messenger.request(Peer.of(target), message, expired, description);
        try {
            return answer.get(wait.equals(this.timeout) ? wait.toMillis() + 1_000 : wait.toMillis(),
                    TimeUnit.MILLISECONDS);
        }
        catch (ExecutionException ex) {
            throw asRuntime((ex.getCause() != null) ? ex.getCause() : ex);
        }
        catch (TimeoutException ex) {
            answer.cancel(false);
            throw new SiloUnavailableException("Silo " + target.siloId() + " did not answer the directory "
                    + operation + " of " + address + " within " + wait, ex);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new SiloUnavailableException("Interrupted while waiting for the directory " + operation + " of "
                    + address, ex);
        }
    }

    private void awaitNewerView(ClusterView view) {
        CompletableFuture<ClusterView> newer = this.views.awaitNewerThan(view);
        try {
            newer.get(RETRY_WAIT_MILLIS, TimeUnit.MILLISECONDS);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
        catch (ExecutionException | TimeoutException ex) {
            // Try again with the view there is.
        }
        newer.cancel(false);
    }

    private static RuntimeException asRuntime(Throwable failure) {
        return (failure instanceof RuntimeException runtime) ? runtime
                : new SiloUnavailableException(String.valueOf(failure.getMessage()), failure);
    }

    /**
     * Runs directory work on the routing's virtual threads; once the routing is closed there is none to do.
     */
    private void inBackground(Runnable work) {
        try {
            this.executor.execute(work);
        }
        catch (RejectedExecutionException ex) {
            logger.debug("Silo {} closed its routing; directory work dropped", this.self);
        }
    }

    /**
     * Runs directory work on the routing's virtual threads, and tells when it has run; once the routing is
     * closed there is none to do, and the stage is complete at once.
     */
    private CompletableFuture<Void> inBackgroundStage(Runnable work) {
        try {
            return CompletableFuture.runAsync(work, this.executor);
        }
        catch (RejectedExecutionException ex) {
            logger.debug("Silo {} closed its routing; directory work dropped", this.self);
            return CompletableFuture.completedFuture(null);
        }
    }

    private record Released(DirectoryEntry entry, long atMillis) {
    }

    /**
     * An entry this partition removed: entries of the same silo incarnation with a token no greater than its own
     * are not taken again from a previous owner.
     */
    private record Removed(List<DirectoryEntry> bounds, long atMillis) {

        Removed(DirectoryEntry bound, long atMillis) {
            this(List.of(bound), atMillis);
        }

        boolean covers(DirectoryEntry entry) {
            for (DirectoryEntry bound : this.bounds) {
                if (bound.sameSilo(entry) && entry.token() <= bound.token()) {
                    return true;
                }
            }
            return false;
        }

        /**
         * These removals and a later one, at the later time: per silo incarnation the entry with the highest token,
         * so that removed entries of several silo incarnations within the window are all remembered, not only the
         * last.
         */
        Removed and(Removed later) {
            List<DirectoryEntry> merged = new ArrayList<>(this.bounds.size() + later.bounds.size());
            merged.addAll(this.bounds);
            for (DirectoryEntry entry : later.bounds) {
                int same = -1;
                for (int i = 0; i < merged.size(); i++) {
                    if (merged.get(i).sameSilo(entry)) {
                        same = i;
                        break;
                    }
                }
                if (same < 0) {
                    merged.add(entry);
                }
                else if (entry.token() > merged.get(same).token()) {
                    merged.set(same, entry);
                }
            }
            return new Removed(List.copyOf(merged), Math.max(this.atMillis, later.atMillis()));
        }
    }

    /**
     * Records the view and owner of a first registration's attempt, then reads the view again: a round that read
     * the registration before this record and let it go because its earlier attempt went to an owner its view
     * keeps installed its view first, so the attempt is then recorded (and sent) again with that view. Loops once
     * per view installed meanwhile.
     */
    private ClusterView recordAttempt(RegistrationsInFlight.Registration registration, ActorAddress address) {
        while (true) {
            ViewTracker.StampedView now = this.views.stamped();
            ClusterView view = now.view();
            registration.attempting(now.stamp(), OwnerIncarnation.of(this.partitions.ownerOf(address, view), view));
            if (this.views.installs() == now.stamp()) {
                return view;
            }
        }
    }

    /**
     * A directory request's answer, and the owner of the partition that gave it.
     */
    private record Answer(@Nullable DirectoryEntry entry, @Nullable OwnerIncarnation owner) {
    }

    /**
     * Remembers an entry this partition removes, while a previous owner may still hold it (within the hand-off
     * window after this silo gained the address).
     */
    private void rememberRemoved(ActorAddress address, DirectoryEntry entry) {
        long now = this.clock.millis();
        forgetRemovedBefore(now - this.window.toMillis());
        if (!this.views.changedWithinWindow() || this.views.recentOwners(address, this.partitions).isEmpty()) {
            return;
        }
        Removed remembered = this.removed.merge(address, new Removed(entry, now), Removed::and);
        this.removedInOrder.add(Map.entry(address, remembered));
    }

    /**
     * Forgets the removals remembered before a time, oldest first, each once, so that a removal costs no scan of
     * the others. It runs at each remembered removal and view change: in a stable cluster the last window's
     * removals stay until the next of either (bounded by what one window removed).
     */
    private void forgetRemovedBefore(long cutoffMillis) {
        Map.Entry<ActorAddress, Removed> oldest;
        while ((oldest = this.removedInOrder.peek()) != null && oldest.getValue().atMillis() <= cutoffMillis) {
            if (this.removedInOrder.remove(oldest)) {
                this.removed.remove(oldest.getKey(), oldest.getValue());
            }
        }
    }

    private boolean wasRemoved(ActorAddress address, DirectoryEntry entry) {
        Removed gone = this.removed.get(address);
        if (gone == null) {
            return false;
        }
        if (this.clock.millis() - gone.atMillis() >= this.window.toMillis()) {
            this.removed.remove(address, gone);
            return false;
        }
        return gone.covers(entry);
    }

    /**
     * The owner of a partition in a view, in its incarnation: a partition whose owner restarted with the same
     * id (another epoch) moved as much as one whose owner changed, since the new incarnation's partition is
     * empty.
     */
    record OwnerIncarnation(String siloId, long epoch) {

        static @Nullable OwnerIncarnation of(@Nullable String siloId, ClusterView view) {
            if (siloId == null) {
                return null;
            }
            SiloEntry entry = view.membership().silos().get(siloId);
            return new OwnerIncarnation(siloId, (entry != null) ? entry.epoch() : 0);
        }
    }

    /**
     * Sets how the previous owners of a hash-placed actor are asked to give up their activations (the routing's
     * hand-off), before a child's first registration at a new owner.
     */
    void releasedBy(PreviousOwnerRelease release) {
        this.previousOwnerRelease = Objects.requireNonNull(release, "release must not be null");
    }

    /**
     * Asks the previous owners of a hash-placed actor to give up the activations they run.
     */
    @FunctionalInterface
    interface PreviousOwnerRelease {

        /**
         * Returns once every live previous owner confirmed it holds no activation of the actor.
         * @param budget how long the previous owners get in all
         * @throws ReleaseNotConfirmedException when one did not answer in time, naming those that did not
         * @throws SiloUnavailableException when one refused
         */
        void release(ActorAddress address, Set<String> previousOwners, Duration budget);
    }
}
