package dev.quark.cluster.routing;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

import dev.quark.actor.DeactivationReason;
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

    /** The partition of an address: the silo it hashes to on the ring, whatever types it hosts. */
    static final PlacementDirector PARTITIONS = (address, view) -> view.ring().ownerOf(RingHash.of(address));

    /** How many times a request goes to the owner of a partition that refused it because views disagreed. */
    private static final int ATTEMPTS = 4;

    /** How long a refused request waits for a newer view before it tries again. */
    private static final long RETRY_WAIT_MILLIS = 250;

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

    private final ConcurrentHashMap<ActorAddress, String> locations = new ConcurrentHashMap<>();

    private final Set<ActorAddress> lookingUp = ConcurrentHashMap.newKeySet();

    private final AtomicLong tokens = new AtomicLong();

    private final Object viewLock = new Object();

    /**
     * Makes moving lost entries from the partition to {@link #released} one step for {@code LOOKUP_HELD}: a
     * question answered between the two would find the entry in neither and let a second activation register.
     */
    private final Object handOverLock = new Object();

    private ClusterView lastView = ClusterView.EMPTY;

    DistributedDirectory(String self, ViewTracker views, Messenger messenger, SiloBinding silo, Clock clock,
            Duration timeout, Duration window, Executor executor, SiloNotices notices) {
        this.rounds = new RegistrationRounds(self, views, notices);
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
     * Registers a new activation of an actor on this silo, on the activation's thread, before it starts.
     * @return {@link ActorLocation#LOCAL} when it is the one, otherwise the silo of the one registered
     * @throws SiloUnavailableException when the directory cannot be reached in time
     */
    ActorLocation register(ActorAddress address) {
        DirectoryEntry candidate = new DirectoryEntry(this.self, this.views.ownEpoch(), this.tokens.incrementAndGet());
        DirectoryEntry winner = request(DirectoryRequest.Operation.REGISTER, address, candidate);
        if (winner == null || winner.sameSilo(candidate)) {
            this.hosted.put(address, candidate);
            remember(address, this.self);
            return ActorLocation.LOCAL;
        }
        logger.debug("Silo {} did not activate {}: it lives on silo {}", this.self, address, winner.siloId());
        remember(address, winner.siloId());
        return ActorLocation.remote(winner.siloId());
    }

    @Override
    public void beforeActivate(ActorInstance actor) {
    }

    @Override
    public void afterDeactivate(ActorInstance actor, DeactivationReason reason) {
        activationEnded(new ActorAddress(actor.type().name(), actor.id()));
    }

    /**
     * Removes the entry of an activation of this silo that ended, deactivated or failed to activate: its
     * address is no longer hosted here, and its entry leaves the directory in the background.
     */
    void activationEnded(ActorAddress address) {
        DirectoryEntry entry = this.hosted.remove(address);
        if (entry == null) {
            return;
        }
        this.locations.remove(address, this.self);
        inBackground(() -> {
            try {
                request(DirectoryRequest.Operation.UNREGISTER, address, entry);
            }
            catch (RuntimeException ex) {
                logger.debug("Silo {} could not remove {} from the directory; the entry goes with its silo or "
                        + "is replaced by the next activation", this.self, address, ex);
            }
        });
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

    // ------------------------------------------------------------------ membership changes

    /**
     * Follows a new view: drops the entries of dead silos, hands lost ranges over, registers again the
     * activations whose partition moved. The work runs in the background, in order of views; once the
     * re-registrations of this view and of every older one are done, this silo tells every other silo
     * ({@link RegistrationRounds}).
     */
    void viewChanged(ClusterView view) {
        ClusterView previous;
        synchronized (this.viewLock) {
            previous = this.lastView;
            this.lastView = view;
        }
        this.rounds.viewChanged();
        int dead = this.partition.removeDead(view);
        if (dead > 0) {
            logger.info("Silo {} removed {} directory entries of dead silos (membership version {})", this.self,
                    dead, view.version());
        }
        long now = this.clock.millis();
        this.released.values().removeIf((entry) -> now - entry.atMillis() >= this.window.toMillis());
        List<Map.Entry<ActorAddress, DirectoryEntry>> lost;
        synchronized (this.handOverLock) {
            lost = this.partition.removeWhere((address) -> !this.self.equals(PARTITIONS.ownerOf(address, view)));
            lost.forEach((entry) -> this.released.put(entry.getKey(), new Released(entry.getValue(), now)));
        }
        for (Map.Entry<ActorAddress, DirectoryEntry> entry : lost) {
            inBackground(() -> handOver(entry.getKey(), entry.getValue()));
        }
        if (!lost.isEmpty()) {
            logger.info("Silo {} hands {} directory entries over to their new owners (membership version {})",
                    this.self, lost.size(), view.version());
        }
        List<CompletableFuture<Void>> again = new ArrayList<>();
        for (Iterator<Map.Entry<ActorAddress, DirectoryEntry>> it = this.hosted.entrySet().iterator(); it.hasNext();) {
            Map.Entry<ActorAddress, DirectoryEntry> entry = it.next();
            ActorAddress address = entry.getKey();
            String before = PARTITIONS.ownerOf(address, previous);
            String after = PARTITIONS.ownerOf(address, view);
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
                this.rounds.finished(view.version());
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
            logger.info("Silo {} deactivates {}: while its directory partition moved, silo {} registered another "
                    + "activation of it", this.self, address, winner.siloId());
            remember(address, winner.siloId());
            this.silo.runtime().deactivate(address, DeactivationReason.HANDOFF);
        }
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
                DirectoryEntry held;
                Released gone;
                synchronized (this.handOverLock) {
                    held = this.partition.lookup(address);
                    gone = this.released.get(address);
                }
                this.messenger.answer(request, Envelope.Kind.RESPONSE,
                        DirectoryRequest.encodeAnswer((held != null) ? held : (gone != null) ? gone.entry() : null));
                return;
            }
            ClusterView view = catchUp(request);
            String owner = PARTITIONS.ownerOf(address, view);
            if (!this.self.equals(owner)) {
                throw new SiloUnavailableException("Silo " + this.self + " does not own the directory partition of "
                        + address + " in membership version " + view.version() + " (silo " + owner + " does)");
            }
            DirectoryEntry answer = serveHere(asked.operation(), address, asked.entry(), view);
            this.messenger.answer(request, Envelope.Kind.RESPONSE, DirectoryRequest.encodeAnswer(answer));
        }
        catch (RuntimeException ex) {
            this.messenger.answer(request, Envelope.Kind.ERROR, this.silo.codec().encodeFailure(ex));
        }
    }

    private ClusterView catchUp(Envelope request) {
        ClusterView view = this.views.current();
        if (request.membershipVersion() <= view.version()) {
            return view;
        }
        this.silo.refreshIfOlderThan(request.membershipVersion(), view.version());
        CompletableFuture<ClusterView> caughtUp = this.views.awaitVersion(request.membershipVersion());
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
        if (operation == DirectoryRequest.Operation.LOOKUP || operation == DirectoryRequest.Operation.LOOKUP_HELD) {
            adoptFromPreviousOwners(address, view);
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
                adoptFromPreviousOwners(address, view);
                if (operation == DirectoryRequest.Operation.REGISTER && awaitRegisteredAgain(address, view)) {
                    ClusterView now = this.views.current();
                    String owner = PARTITIONS.ownerOf(address, now);
                    if (!this.self.equals(owner)) {
                        throw new SiloUnavailableException("Silo " + this.self + " no longer owns the directory "
                                + "partition of " + address + " in membership version " + now.version() + " (silo "
                                + owner + " does)");
                    }
                    return this.partition.register(address, entry, now);
                }
                return this.partition.register(address, entry, view);
            }
            case UNREGISTER -> {
                this.partition.unregister(address, entry);
                return null;
            }
            default -> {
                return this.partition.adopt(address, entry, view);
            }
        }
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
        long gained = this.views.gainedAt(address, PARTITIONS);
        if (gained <= 0 || !this.views.ownerLost(address, PARTITIONS)) {
            return false;
        }
        this.rounds.await(gained, address, this.timeout.toMillis() / 2);
        return true;
    }

    /**
     * Asks the silos that owned an address's partition in the views replaced within the hand-off window, and
     * are still alive, for their entry, unless this partition has a live one: so that an activation
     * registered there is not registered twice while the entries move.
     */
    private void adoptFromPreviousOwners(ActorAddress address, ClusterView view) {
        DirectoryEntry existing = this.partition.lookup(address);
        if (existing != null && existing.isAliveIn(view)) {
            return;
        }
        for (String previous : this.views.recentOwners(address, PARTITIONS)) {
            SiloEntry target = view.membership().silos().get(previous);
            if (target == null) {
                continue;
            }
            try {
                Envelope reply = send(target, DirectoryRequest.Operation.LOOKUP_HELD, address, null);
                if (reply.kind() == Envelope.Kind.RESPONSE) {
                    DirectoryEntry held = DirectoryRequest.decodeAnswer(reply.payload());
                    if (held != null) {
                        this.partition.adopt(address, held, view);
                    }
                }
            }
            catch (RuntimeException ex) {
                logger.debug("Silo {} could not ask silo {} for the directory entry of {}", this.self, previous,
                        address, ex);
            }
        }
    }

    // ------------------------------------------------------------------ requests to partition owners

    /**
     * Sends a request to the owner of the address's partition (or serves it here when this silo owns it) and
     * waits for the answer, trying again with a newer view when the owner refuses it.
     */
    private @Nullable DirectoryEntry request(DirectoryRequest.Operation operation, ActorAddress address,
            @Nullable DirectoryEntry entry) {
        RuntimeException last = null;
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            ClusterView view = this.views.current();
            String owner = PARTITIONS.ownerOf(address, view);
            if (owner == null) {
                throw new SiloUnavailableException("Silo " + this.self + " cannot reach the directory entry of "
                        + address + ": no active silo on the ring (membership version " + view.version() + ")");
            }
            if (owner.equals(this.self)) {
                return serveHere(operation, address, entry, view);
            }
            SiloEntry target = view.membership().silos().get(owner);
            try {
                if (target == null) {
                    throw new SiloUnavailableException("silo " + owner + " has no entry");
                }
                Envelope reply = send(target, operation, address, entry);
                if (reply.kind() == Envelope.Kind.RESPONSE) {
                    return DirectoryRequest.decodeAnswer(reply.payload());
                }
                last = asRuntime(this.silo.codec().decodeFailure(reply.payload()));
            }
            catch (RuntimeException ex) {
                last = ex;
            }
            awaitNewerView(view.version());
        }
        throw new SiloUnavailableException("Silo " + this.self + " could not " + operation.name().toLowerCase()
                + " " + address + " in the directory after " + ATTEMPTS + " attempts (membership version "
                + this.views.current().version() + "): " + ((last != null) ? last.getMessage() : "no answer"), last);
    }

    private Envelope send(SiloEntry target, DirectoryRequest.Operation operation, ActorAddress address,
            @Nullable DirectoryEntry entry) {
        long deadline = this.clock.millis() + this.timeout.toMillis();
        CompletableFuture<Envelope> answer = this.messenger.request(Peer.of(target),
                Messenger.Message.control(Envelope.Kind.DIRECTORY, address,
                        new DirectoryRequest(operation, entry).encode(), deadline),
                () -> new SiloUnavailableException("Silo " + target.siloId() + " did not answer the directory "
                        + operation + " of " + address + " within " + this.timeout),
                "the directory " + operation + " of " + address);
        try {
            return answer.get(this.timeout.toMillis() + 1_000, TimeUnit.MILLISECONDS);
        }
        catch (ExecutionException ex) {
            throw asRuntime((ex.getCause() != null) ? ex.getCause() : ex);
        }
        catch (TimeoutException ex) {
            answer.cancel(false);
            throw new SiloUnavailableException("Silo " + target.siloId() + " did not answer the directory "
                    + operation + " of " + address + " within " + this.timeout, ex);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new SiloUnavailableException("Interrupted while waiting for the directory " + operation + " of "
                    + address, ex);
        }
    }

    private void awaitNewerView(long version) {
        CompletableFuture<ClusterView> newer = this.views.awaitVersion(version + 1);
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
}
