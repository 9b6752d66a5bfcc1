package dev.quark.runtime.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

import dev.quark.actor.ActorRuntimeClosedException;
import dev.quark.actor.DeactivationReason;
import dev.quark.runtime.ActorAddress;
import dev.quark.runtime.RuntimeScheduler;
import dev.quark.runtime.routing.ActivationGate;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The activations of this silo, at most one per actor identity: creates them on demand, collects idle
 * ones and ends them all at shutdown. It owns the supervision tree of its activations; calls reach it through
 * the {@link CallRouter}.
 */
public final class ActivationCatalog {

    private static final Logger logger = LoggerFactory.getLogger(ActivationCatalog.class);

    private static final long CLOSE_POLL_MILLIS = 50;

    /**
     * Where a silo is told how many activations to expect ({@code max-activations}), the map is sized for them
     * up to this many at once, so that filling it does not copy its table twenty times over.
     */
    static final int MAX_INITIAL_CAPACITY = 1 << 20;

    private final ConcurrentHashMap<ActorIdentity, Activation> activations;

    private final RuntimeSettings settings;

    private final RuntimeScheduler scheduler;

    private final IncomingFilters incomingFilters;

    private final Supervision supervision;

    private final ActorRegistry registry;

    private volatile @Nullable ActorReferences references;

    private volatile @Nullable CallRouter router;

    private final ActivationShedder shedder;

    private final GateWaits gateWaits = new GateWaits();

    private final RelocatedCalls relocatedCalls = new RelocatedCalls();

    private final Object closeMonitor = new Object();

    private volatile boolean closed;

    /**
     * Creates the catalog.
     * @param settings the runtime's settings
     * @param scheduler runs timed work on the runtime's clock
     * @param registry the actor types
     * @param incomingFilters what runs around every turn of a contract method
     */
    public ActivationCatalog(RuntimeSettings settings, RuntimeScheduler scheduler, ActorRegistry registry,
            IncomingFilters incomingFilters) {
        this.settings = settings;
        this.activations = new ConcurrentHashMap<>(initialCapacity(settings.shedding()));
        this.scheduler = scheduler;
        this.incomingFilters = incomingFilters;
        this.supervision = new Supervision(this, registry);
        this.registry = registry;
        for (ActorType type : registry.types()) {
            type.countQueuedWith(() -> queuedMessages(type));
        }
        this.shedder = new ActivationShedder(this, settings.shedding(), settings.metrics());
        this.shedder.scheduleChecks(scheduler, settings.clock());
    }

    static int initialCapacity(SheddingSettings shedding) {
        return (shedding.maxActivations() > 0) ? Math.min(shedding.maxActivations(), MAX_INITIAL_CAPACITY) : 16;
    }

    RuntimeSettings settings() {
        return this.settings;
    }

    RuntimeScheduler scheduler() {
        return this.scheduler;
    }

    Supervision supervision() {
        return this.supervision;
    }

    IncomingFilters incomingFilters() {
        return this.incomingFilters;
    }

    /**
     * Gives the catalog the factory of the references its actors receive (children, escalations); the
     * runtime binds it once, before the first call.
     */
    public void bindReferences(ActorReferences references) {
        this.references = references;
    }

    /**
     * Gives the catalog the router that takes the calls of activations the
     * {@link dev.quark.runtime.routing.ActivationGate} places on another silo; the runtime binds it once,
     * before the first call.
     */
    public void bindRouter(CallRouter router) {
        this.router = router;
    }

    /**
     * Sends the calls that waited for an activation the gate placed on another silo to that silo, in order. Timer
     * ticks and other system turns cannot travel: they are dropped. Every call is recorded for deadlock probes
     * ({@link RelocatedCalls}) before the first is sent, so that a probe arriving meanwhile finds each of them. A call
     * whose sending throws fails with what it threw, and the others are sent all the same; a
     * {@link VirtualMachineError} fails every call not sent yet with it and is thrown on.
     * @param invocations the calls, taken out of the mailbox
     */
    void relocate(String siloId, List<Invocation> invocations) {
        CallRouter bound = this.router;
        List<Invocation> sending = new ArrayList<>(invocations.size());
        for (Invocation invocation : invocations) {
            invocation.deliveredTo = null;
            invocation.servedBy = null;
            if (invocation.method() == null || bound == null) {
                logger.debug("Dropped {}: its actor lives on silo {} now", invocation, siloId);
                invocation.complete(null);
                continue;
            }
            invocation.relocated = true;
            if (!invocation.isOneWay()) {
                this.relocatedCalls.sending(siloId, invocation);
            }
            sending.add(invocation);
        }
        for (int i = 0; i < sending.size(); i++) {
            Invocation invocation = sending.get(i);
            try {
                Objects.requireNonNull(bound).sendRemote(siloId, invocation);
            }
            catch (VirtualMachineError error) {
                // The calls not sent yet fail with it too rather than wait for their timeouts, still recorded.
                for (Invocation unsent : sending.subList(i, sending.size())) {
                    unsent.finish(null, error, this.settings.turnExecutor());
                }
                throw error;
            }
            catch (RuntimeException | Error ex) {
                // An Error of one call (a LinkageError of its argument's class) fails that call only.
                invocation.finish(null, ex, this.settings.turnExecutor());
            }
        }
    }

    /** The calls {@link #relocate} sent to another silo and whose outcome has not come back, for deadlock probes. */
    RelocatedCalls relocatedCalls() {
        return this.relocatedCalls;
    }

    /** The activations whose activation gate is deciding, for the calls that wait behind their starting call. */
    GateWaits gateWaits() {
        return this.gateWaits;
    }

    /**
     * Tells the gate's bookkeeping of a call queued while its activation was activating
     * ({@link GateWaits#queued}); nothing to do with one silo's open gate.
     */
    void queuedWhileAdmitting(Activation activation, Invocation invocation) {
        ActivationGate gate = this.settings.activationGate();
        if (gate != ActivationGate.OPEN) {
            this.gateWaits.queued(activation, invocation, gate);
        }
    }

    ActorReferences references() {
        ActorReferences bound = this.references;
        if (bound == null) {
            throw new IllegalStateException("The runtime has not bound its references yet");
        }
        return bound;
    }

    /**
     * Returns the activation of an identity, creating an empty one if there is none. Creating one runs no
     * user code: the instance is created by the first message's turn. A new activation is put in with
     * {@code putIfAbsent} rather than {@code computeIfAbsent}: no lambda and no reservation node per
     * activation; two callers racing for one identity create two, and the loser's is dropped unused.
     */
    Activation activationFor(ActorIdentity identity) {
        if (this.closed) {
            throw new ActorRuntimeClosedException("The actor runtime is shut down; cannot call " + identity);
        }
        Activation activation = this.activations.get(identity);
        if (activation != null) {
            return activation;
        }
        Activation created = new Activation(identity, this);
        Activation raced = this.activations.putIfAbsent(identity, created);
        return (raced != null) ? raced : created;
    }

    /**
     * Hands a call to a stateless worker's pool: to an idle worker, else to a worker it creates while the pool
     * is not full. Each step is atomic on one worker (an idle worker takes the call only while still idle
     * under its own lock; an empty slot is claimed with {@code putIfAbsent}), so calls racing into a pool
     * spread over it instead of queueing behind one worker they all saw idle or missing. No pool-wide lock.
     * @return {@code null} when a worker took the call; otherwise the worker to deliver it to, waiting for room
     * as for any actor: the least busy one, or one that is ending (its successor takes the call)
     */
    @Nullable ActorIdentity offerToIdleWorker(ActorIdentity identity, Invocation invocation) {
        int max = identity.type().maxLocalWorkers();
        int ending = -1;
        int leastBusy = 0;
        int leastLoad = Integer.MAX_VALUE;
        boolean sawEmpty = false;
        for (int worker = 0; worker < max; worker++) {
            Activation activation = this.activations.get(identity.worker(worker));
            if (activation == null) {
                sawEmpty = true;
                continue;
            }
            int load = activation.load();
            if (load == 0 && activation.offerIfIdle(invocation)) {
                delivered(activation);
                return null;
            }
            if (load < 0 && ending < 0) {
                ending = worker;
            }
            else if (load > 0 && load < leastLoad) {
                leastLoad = load;
                leastBusy = worker;
            }
        }
        if (sawEmpty && offerToNewWorker(identity, max, invocation)) {
            return null;
        }
        return identity.worker((ending >= 0) ? ending : leastBusy);
    }

    private boolean offerToNewWorker(ActorIdentity identity, int max, Invocation invocation) {
        for (int worker = 0; worker < max; worker++) {
            ActorIdentity slot = identity.worker(worker);
            if (this.activations.containsKey(slot)) {
                continue;
            }
            if (this.closed) {
                throw new ActorRuntimeClosedException("The actor runtime is shut down; cannot call " + identity);
            }
            Activation created = new Activation(slot, this);
            Activation existing = this.activations.putIfAbsent(slot, created);
            Activation claimed = (existing != null) ? existing : created;
            if (claimed.offerIfIdle(invocation)) {
                delivered(claimed);
                return true;
            }
        }
        return false;
    }

    @Nullable Activation find(ActorIdentity identity) {
        return this.activations.get(identity);
    }

    /**
     * Makes sure a message delivered while the runtime was closing does not leave an activation behind.
     */
    void delivered(Activation activation) {
        if (this.closed && activation.requestDeactivation(DeactivationReason.SHUTDOWN)) {
            startDeactivation(activation, DeactivationReason.SHUTDOWN);
        }
    }

    /**
     * Delivers a system turn (an escalation) to an actor, activating it if needed.
     */
    void deliverSystem(ActorIdentity identity, Invocation invocation) {
        try {
            while (true) {
                Activation activation = activationFor(identity);
                if (activation.offer(invocation, true) == Delivery.ACCEPTED) {
                    delivered(activation);
                    return;
                }
            }
        }
        catch (ActorRuntimeClosedException ex) {
            logger.debug("Dropped {} at shutdown", invocation);
        }
    }

    /**
     * Starts a thread that owns the activation and runs what it was granted, from {@code first} on. A turn
     * granted the activation is its own task (its {@code servedBy} is the activation), so the common case
     * allocates nothing here.
     */
    void startDrain(Activation activation, Object first) {
        this.settings.turnExecutor().execute(drainTask(activation, first));
    }

    /**
     * Returns the task that runs what the activation was granted, from {@code first} on: the turn itself when
     * it was granted the activation, so the common case allocates nothing.
     */
    Runnable drainTask(Activation activation, Object first) {
        if (first instanceof Invocation turn && turn.servedBy == activation) {
            return turn;
        }
        return () -> activation.drain(first);
    }

    void startDeactivation(Activation activation, DeactivationReason reason) {
        this.settings.turnExecutor().execute(() -> activation.deactivate(reason));
    }

    /**
     * Removes an activation that ended. Called under the activation's lock.
     */
    void remove(Activation ended) {
        this.activations.remove(ended.identity, ended);
        if (this.closed) {
            synchronized (this.closeMonitor) {
                this.closeMonitor.notifyAll();
            }
        }
    }

    /**
     * Replaces an activation that ended by a new one that takes over the messages which arrived while it
     * deactivated, or removes it when there are none; timer ticks are dropped, they belonged to the ended
     * activation. Called under the ended activation's lock, so callers that find it ended find its
     * successor.
     * @return what the caller runs once it has released the lock, or {@code null}: completing the dropped
     * ticks and, at shutdown, failing the calls that never ran, so that no continuation, filter or metric of
     * theirs runs under the lock
     */
    @Nullable Runnable replaceEnded(Activation ended, @Nullable Invocation waiting) {
        this.supervision.forget(ended.identity);
        ActivationGate gate = this.settings.activationGate();
        if (gate != ActivationGate.OPEN) {
            try {
                gate.activationEnded(ended.identity.address());
            }
            catch (RuntimeException ex) {
                logger.warn("The activation gate failed to note the end of the activation of {}", ended.identity, ex);
            }
        }
        Invocation first = null;
        Invocation last = null;
        int kept = 0;
        List<Invocation> dropped = null;
        for (Invocation invocation = waiting; invocation != null; invocation = Activation.unlink(invocation)) {
            SystemTask task = invocation.task();
            if (task != null && !task.survivesDeactivation()) {
                if (dropped == null) {
                    dropped = new ArrayList<>(2);
                }
                dropped.add(invocation);
                continue;
            }
            if (last == null) {
                first = invocation;
            }
            else {
                last.next = invocation;
            }
            last = invocation;
            kept++;
        }
        Runnable completeDropped = (dropped != null) ? completing(dropped) : null;
        if (first == null) {
            remove(ended);
            return completeDropped;
        }
        if (this.closed) {
            remove(ended);
            Invocation refused = first;
            return () -> {
                if (completeDropped != null) {
                    completeDropped.run();
                }
                ActorRuntimeClosedException failure = new ActorRuntimeClosedException(
                        "The actor runtime shut down before this call to " + ended.identity + " ran");
                for (Invocation invocation = refused; invocation != null; invocation = Activation.unlink(invocation)) {
                    ended.fail(invocation, failure);
                }
            };
        }
        Activation successor = new Activation(ended.identity, this);
        Invocation next = successor.adopt(first, kept);
        this.activations.replace(ended.identity, ended, successor);
        startDrain(successor, next);
        return completeDropped;
    }

    private static Runnable completing(List<Invocation> dropped) {
        return () -> dropped.forEach((invocation) -> invocation.complete(null));
    }

    Collection<Activation> activations() {
        return this.activations.values();
    }

    /**
     * Deactivates, over the activation or memory limit, the least recently used idle activations (see
     * {@link ActivationShedder}), then every activation that has had no call since the idle timeout.
     * @return a stage that completes with the number of deactivated activations once their
     * {@code onDeactivate} hooks have run
     */
    public CompletableFuture<Integer> collectIdle() {
        if (this.closed) {
            return CompletableFuture.completedFuture(0);
        }
        CompletableFuture<Integer> shed = this.shedder.shed();
        return shed.thenCombine(collectExpired(), Integer::sum);
    }

    private CompletableFuture<Integer> collectExpired() {
        long cutoff = this.settings.clock().millis() - this.settings.idleTimeout().toMillis();
        List<Activation> idle = new ArrayList<>();
        for (Activation activation : this.activations.values()) {
            if (activation.lastActiveMillis() <= cutoff && activation.beginIdleDeactivation(cutoff)) {
                idle.add(activation);
            }
        }
        if (idle.isEmpty()) {
            return CompletableFuture.completedFuture(0);
        }
        logger.debug("Collecting {} idle activations", idle.size());
        List<CompletableFuture<Void>> done = new ArrayList<>(idle.size());
        for (Activation activation : idle) {
            done.add(CompletableFuture.runAsync(() -> activation.deactivate(DeactivationReason.IDLE),
                    this.settings.turnExecutor()));
        }
        return CompletableFuture.allOf(done.toArray(CompletableFuture[]::new)).thenApply((ignored) -> idle.size());
    }

    /**
     * Deactivates the activation of an actor if it exists (every worker of a stateless worker's pool), once no
     * turn is in progress.
     * @return whether there was an activation to deactivate
     */
    public boolean deactivate(ActorIdentity identity, DeactivationReason reason) {
        List<Activation> pool = activationsOf(identity);
        for (Activation activation : pool) {
            if (activation.requestDeactivation(reason)) {
                startDeactivation(activation, reason);
            }
        }
        return !pool.isEmpty();
    }

    /**
     * Returns whether this silo holds an activation of an actor in any state (waiting for the activation gate,
     * running, restarting, deactivating), until it has ended and left the catalog.
     */
    public boolean holds(ActorAddress address) {
        ActorType type = this.registry.type(address.typeName());
        return type != null && !activationsOf(new ActorIdentity(type, address.id())).isEmpty();
    }

    /**
     * Returns whether an activation of an actor on this silo has a turn in progress that serves a call chain: a
     * call of that chain is a call back into that turn, which this silo must run even for an actor it no longer
     * owns. Looks only; activates nothing.
     */
    public boolean servesChain(ActorAddress address, long callChainId) {
        ActorType type = this.registry.type(address.typeName());
        if (type == null) {
            return false;
        }
        for (Activation activation : activationsOf(new ActorIdentity(type, address.id()))) {
            if (activation.servesChain(callChainId)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Returns the activations of an actor on this silo: its one activation, or every worker of a stateless
     * worker's pool.
     */
    List<Activation> activationsOf(ActorIdentity identity) {
        int workers = identity.type().maxLocalWorkers();
        if (workers <= 1) {
            Activation activation = this.activations.get(identity);
            return (activation != null) ? List.of(activation) : List.of();
        }
        List<Activation> pool = new ArrayList<>();
        for (int worker = 0; worker < workers; worker++) {
            Activation activation = this.activations.get(identity.worker(worker));
            if (activation != null) {
                pool.add(activation);
            }
        }
        return pool;
    }

    /**
     * Deactivates the activation of an address if it exists (every worker of a stateless worker's pool), once
     * no turn is in progress.
     * @return a stage completed with {@code true} once it has ended (all of the pool's), or at once with
     * {@code false} when there was none
     */
    public CompletableFuture<Boolean> deactivate(ActorAddress address, DeactivationReason reason) {
        ActorType type = this.registry.type(address.typeName());
        List<Activation> pool = (type != null) ? activationsOf(new ActorIdentity(type, address.id())) : List.of();
        if (pool.isEmpty()) {
            return CompletableFuture.completedFuture(false);
        }
        return CompletableFuture.allOf(pool.stream().map((activation) -> end(activation, reason))
            .toArray(CompletableFuture[]::new)).thenApply((ended) -> true);
    }

    /**
     * Deactivates every activation whose address passes a test, each once no turn is in progress.
     * @return a stage completed with their number once all of them have ended
     */
    public CompletableFuture<Integer> deactivateWhere(Predicate<ActorAddress> which, DeactivationReason reason) {
        List<CompletableFuture<Void>> ending = new ArrayList<>();
        for (Activation activation : this.activations.values()) {
            if (which.test(activation.identity.address())) {
                ending.add(end(activation, reason));
            }
        }
        int count = ending.size();
        return CompletableFuture.allOf(ending.toArray(CompletableFuture[]::new)).thenApply((ended) -> count);
    }

    private CompletableFuture<Void> end(Activation activation, DeactivationReason reason) {
        CompletableFuture<Void> ended = activation.whenEnded();
        if (activation.requestDeactivation(reason)) {
            startDeactivation(activation, reason);
        }
        return ended;
    }

    /**
     * Stops accepting calls and deactivates every activation, waiting for running turns to end.
     * @param timeout how long to wait
     * @return whether every activation ended in time
     */
    public boolean close(Duration timeout) {
        this.closed = true;
        long deadline = System.nanoTime() + timeout.toNanos();
        int initial = this.activations.size();
        while (!this.activations.isEmpty()) {
            for (Activation activation : this.activations.values()) {
                if (activation.requestDeactivation(DeactivationReason.SHUTDOWN)) {
                    startDeactivation(activation, DeactivationReason.SHUTDOWN);
                }
            }
            long remaining = deadline - System.nanoTime();
            if (remaining <= 0) {
                logger.warn("{} of {} activations were still running turns when the shutdown timeout of {} elapsed",
                        this.activations.size(), initial, timeout);
                return false;
            }
            synchronized (this.closeMonitor) {
                if (!this.activations.isEmpty()) {
                    try {
                        this.closeMonitor.wait(Math.min(CLOSE_POLL_MILLIS, Math.max(1, remaining / 1_000_000)));
                    }
                    catch (InterruptedException ex) {
                        Thread.currentThread().interrupt();
                        return false;
                    }
                }
            }
        }
        logger.debug("Deactivated {} activations at shutdown", initial);
        return true;
    }

    public boolean isClosed() {
        return this.closed;
    }

    public int size() {
        return this.activations.size();
    }

    /**
     * Returns how many messages wait in the mailbox of an actor (in all its workers' for a stateless worker's
     * pool), for tests and diagnostics.
     */
    public int queuedMessages(ActorIdentity identity) {
        return activationsOf(identity).stream().mapToInt(Activation::queuedMessages).sum();
    }

    /**
     * Adds up the messages waiting for the activations of one type: a walk over all activations, for a
     * gauge read now and then rather than a counter every message would update.
     */
    long queuedMessages(ActorType type) {
        long queued = 0;
        for (Activation activation : this.activations.values()) {
            if (activation.identity.type() == type) {
                queued += activation.queuedMessagesForGauge();
            }
        }
        return queued;
    }

    public boolean isActive(ActorIdentity identity) {
        return activationsOf(identity).stream().anyMatch(Activation::isActive);
    }
}
