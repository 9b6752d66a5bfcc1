package dev.quark.cluster.membership;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Supplier;

import dev.quark.runtime.RuntimeScheduler;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One silo's membership agent: joins the cluster, renews its entry, keeps a {@link ClusterView} of the table
 * for routing, detects failed peers with its {@link FailureDetector}, fences itself when it cannot know
 * whether it is still a member, and leaves gracefully.
 * <ul>
 * <li><b>Join</b> ({@link #start()}): writes a {@link SiloStatus#JOINING} entry with a new epoch, higher than
 * that of any earlier entry of this silo id, then {@link SiloStatus#ACTIVE}; both are conditional writes,
 * retried on conflict a bounded number of times. In between, {@link JoinReachability} checks that the fresh
 * active silos do not refuse this one (renewing the joining entry meanwhile); a refusal writes the joining entry
 * dead and fails the join.</li>
 * <li><b>Views</b>: the table is read when the provider hints at a change, every table refresh interval, and
 * when a call shows that another silo has seen a newer version ({@link #refreshIfOlderThan(String, long)}); a
 * version this silo has not seen becomes a new view, told to {@link #subscribe subscribers} in order. A read is
 * the table's truth even when its version is lower than the last one: the table has a new
 * {@link MembershipSnapshot#incarnation() incarnation} (it lost its data and grew again) or lost its latest
 * writes, and the silos' entries in it decide who is a member.</li>
 * <li><b>Heartbeats</b> every heartbeat interval. A refused heartbeat, or a read in which this incarnation's
 * entry is dead, gone or replaced, means the cluster declared this silo dead: it stops serving, tells its
 * {@link SiloLifecycleListener listeners}, and rejoins with a new epoch — unless rejoining is turned off, or
 * the entry now belongs to a newer incarnation of the same silo id (two running silos configured with one id
 * would otherwise evict each other forever).</li>
 * <li><b>Self-fencing</b>: {@link #isServing()} turns false by itself — without any thread having to notice —
 * when the last renewal is older than the TTL minus the fencing margin, or when the agent's own rounds did
 * not run for as long as others need to vote it dead (a long pause, see {@link MembershipSettings#pauseLimit()});
 * in the second case it serves again only after it renewed. A renewal that ends a fence is a conditional write
 * of the entry, not a heartbeat, so that an eviction a peer decided meanwhile conflicts with it instead of
 * landing behind it. Fencing is measured with the injected {@link Clock}: a wall clock that steps back widens
 * the window (see docs/clustering.md).</li>
 * <li><b>Leave</b> ({@link #leave(Supplier)}): writes {@link SiloStatus#SHUTTING_DOWN} (the ring of every view
 * drops the silo, so nobody places new activations on it), lets the caller hand over its actors for at most
 * the leave timeout, then writes {@link SiloStatus#DEAD}. A silo that is not active when it is asked to leave
 * (declared dead and rejoining) leaves at once, without serving again.</li>
 * </ul>
 * {@link #halt()} and {@link #close()} may be called on any thread; a halted agent never changes state again.
 * All timing comes from the injected {@link Clock} and {@link RuntimeScheduler}, so tests run it in virtual
 * time. Table access blocks, so it runs on the injected executor (virtual threads by default), one job at a
 * time: the agent's state is only ever changed by one thread at a time, and listeners are told in order.
 * Logs at INFO: joins, view changes of the active set, suspicions, evictions, fencing, leaves; never per
 * heartbeat or probe.
 */
public final class SiloMembership implements ClusterViewSource, AutoCloseable {

    private static final Logger logger = LoggerFactory.getLogger(SiloMembership.class);

    private final MembershipSettings settings;

    private final MembershipProvider provider;

    private final Clock clock;

    private final RuntimeScheduler scheduler;

    private final MembershipMetrics metrics;

    private final SerialExecutor serial;

    private final TableUpdater table;

    private final JoinReachability reachability;

    private final FailureDetector detector;

    private final @Nullable Runnable releaseOwnedResources;

    private final List<Consumer<ClusterView>> viewListeners = new CopyOnWriteArrayList<>();

    private final List<SiloLifecycleListener> lifecycleListeners = new CopyOnWriteArrayList<>();

    private final List<PeriodicTask> tasks;

    private final AtomicBoolean refreshPending = new AtomicBoolean();

    private final Object lifecycleLock = new Object();

    private volatile MembershipState state = MembershipState.CREATED;

    private volatile long epoch;

    private volatile ClusterView view = ClusterView.EMPTY;

    /** The last renewal of this silo's entry, with the instant after which it no longer counts. */
    private volatile Since lastRenewal;

    /** When this silo's own rounds last ran, with the instant after which they count as paused. */
    private volatile Since lastRound;

    private volatile Instant mustRenewAfter = Instant.EPOCH;

    /**
     * Whether the clock is the JDK's system clock, whose milliseconds are always its instant's: only then does
     * {@link #isServing()} compare milliseconds ({@link Since#isOver(long, Clock)}); any other clock's instant is read.
     */
    private final boolean systemClock;

    private MembershipProvider.@Nullable Watch tableWatch;

    private @Nullable CompletableFuture<Void> leaving;

    /** The latest table read, heartbeats included; touched only on the serial executor. */
    private MembershipSnapshot latest = MembershipSnapshot.EMPTY;

    /** The fence listeners were last told of, {@code null} while serving; serial executor only. */
    private @Nullable FenceReason announcedFence;

    /** Whether a rejoin waits for its reachability check; serial executor only. */
    private boolean rejoinInFlight;

    /**
     * How long the next rejoin waits after one its peers refused (or that failed on a transport security
     * mismatch), {@code null} after any other outcome; doubles with each refused rejoin up to the silo TTL. Serial executor only.
     */
    private @Nullable Duration rejoinBackOff;

    /** No rejoin is tried before this instant ({@code null}: none put off); serial executor only. */
    private @Nullable Instant rejoinNotBefore;

    private final SiloProber prober;

    /** Whether the last table access failed, so that an outage is logged once; serial executor only. */
    private boolean storeFailing;

    private SiloMembership(Builder builder) {
        this.settings = builder.settings;
        this.lastRenewal = Since.of(Instant.EPOCH, this.settings.fenceAfter());
        this.lastRound = Since.of(Instant.EPOCH, this.settings.pauseLimit());
        this.provider = builder.provider;
        this.clock = builder.clock;
        this.systemClock = this.clock.getClass() == Clock.systemUTC().getClass();
        this.metrics = builder.metrics;
        ScheduledThreadPoolExecutor ownedTimer = null;
        ExecutorService ownedExecutor = null;
        RuntimeScheduler chosenScheduler = builder.scheduler;
        if (chosenScheduler == null) {
            ownedTimer = new ScheduledThreadPoolExecutor(1, (task) -> {
                Thread thread = new Thread(task, "quark-membership-" + builder.settings.siloId());
                thread.setDaemon(true);
                return thread;
            });
            ownedTimer.setRemoveOnCancelPolicy(true);
            chosenScheduler = RuntimeScheduler.onClock(this.clock, ownedTimer);
        }
        Executor chosenExecutor = builder.executor;
        if (chosenExecutor == null) {
            ownedExecutor = Executors.newVirtualThreadPerTaskExecutor();
            chosenExecutor = ownedExecutor;
        }
        this.scheduler = chosenScheduler;
        this.serial = new SerialExecutor(chosenExecutor);
        this.table = new TableUpdater(this.provider);
        this.prober = builder.prober;
        this.reachability = new JoinReachability(this.settings, builder.prober, this.scheduler, this.clock,
                () -> this.serial.call(() -> CompletableFuture.completedFuture(this.provider.read())));
        this.detector = new FailureDetector(this.settings, builder.prober, this.table, this.serial, this.scheduler,
                this.clock, this.metrics, this::requestRefresh);
        this.tasks = List.of(
                new PeriodicTask("heartbeat", this.scheduler, this.clock, this.settings.heartbeatInterval(),
                        (dueAt) -> this.serial.call(this::heartbeatRound)),
                new PeriodicTask("probe round", this.scheduler, this.clock, this.settings.probeInterval(),
                        this::probeRoundDue),
                new PeriodicTask("table refresh", this.scheduler, this.clock, this.settings.tableRefreshInterval(),
                        (dueAt) -> this.serial.call(this::refreshRound)));
        this.releaseOwnedResources = ownedResources(ownedTimer, ownedExecutor);
    }

    /**
     * Starts building an agent.
     * @param settings the silo and its timings
     * @param provider the cluster's membership table
     * @param prober how this silo probes its peers (the transport)
     * @return a builder
     */
    public static Builder builder(MembershipSettings settings, MembershipProvider provider, SiloProber prober) {
        return new Builder(settings, provider, prober);
    }

    /**
     * Joins the cluster: writes this silo's entry as joining with a new epoch, then as active, reads the
     * table, and starts heartbeats, probes and refreshes.
     * @return completes with this silo's entry once it is active; fails when the table cannot be reached or
     * the writes keep conflicting, and the agent is then {@link MembershipState#STOPPED}
     * @throws IllegalStateException when the agent was started before
     */
    public CompletableFuture<SiloEntry> start() {
        synchronized (this.lifecycleLock) {
            if (this.state != MembershipState.CREATED) {
                throw new IllegalStateException("The membership agent of silo " + this.settings.siloId()
                        + " was started before; it is " + this.state);
            }
            try {
                this.tableWatch = this.provider.watch(this::requestRefresh);
            }
            catch (RuntimeException ex) {
                this.state = MembershipState.STOPPED;
                throw ex;
            }
            this.state = MembershipState.JOINING;
        }
        this.metrics.bindMembership(this);
        this.lastRound = Since.of(this.clock.instant(), this.settings.pauseLimit());
        return this.serial.call(() -> join((self) -> {
            logger.info("Silo {} joined cluster '{}' with epoch {} at {}, hosting {} actor type(s)", self.siloId(),
                    this.settings.clusterName(), self.epoch(), self.address(), self.actorTypes().size());
            refresh();
            for (SiloLifecycleListener listener : this.lifecycleListeners) {
                tell(listener, (l) -> l.joined(self));
            }
            this.tasks.forEach(PeriodicTask::start);
        })).whenComplete((self, failure) -> {
            if (failure != null) {
                logger.error("Silo {} could not join cluster '{}': {}", this.settings.siloId(),
                        this.settings.clusterName(), unwrap(failure).getMessage());
                stop(MembershipState.STOPPED);
            }
        });
    }

    @Override
    public ClusterView current() {
        return this.view;
    }

    @Override
    public MembershipProvider.Watch subscribe(Consumer<ClusterView> listener) {
        Objects.requireNonNull(listener, "listener must not be null");
        this.viewListeners.add(listener);
        return () -> this.viewListeners.remove(listener);
    }

    /**
     * Asks to be told what happens to this silo's own membership. Add listeners before {@link #start()} to
     * hear of the join.
     * @param listener the listener
     * @return a handle that stops the notifications
     */
    public MembershipProvider.Watch addListener(SiloLifecycleListener listener) {
        Objects.requireNonNull(listener, "listener must not be null");
        this.lifecycleListeners.add(listener);
        return () -> this.lifecycleListeners.remove(listener);
    }

    /**
     * Returns whether this silo may serve calls and activate actors now. True only while it is active (or
     * leaving, to finish its work), has renewed its entry within the TTL minus the fencing margin, and its own
     * rounds have run within the pause limit (or it renewed since it noticed they had not). Computed from the
     * clock on every call, so it turns false at the deadline even if no thread of the agent runs.
     * @return {@code true} while serving
     */
    @Override
    public boolean isServing() {
        MembershipState current = this.state;
        if (current != MembershipState.ACTIVE && current != MembershipState.LEAVING) {
            return false;
        }
        if (!this.systemClock) {
            return fenceReason(this.clock.instant()) == null;
        }
        // The clock's milliseconds decide, but in the millisecond of a bound its instant does (Since.isOver).
        long now = this.clock.millis();
        Since renewed = this.lastRenewal;
        return !renewed.isOver(now, this.clock) && !renewed.at().isBefore(this.mustRenewAfter)
                && !this.lastRound.isOver(now, this.clock);
    }

    @Override
    public void refreshIfOlderThan(long seenVersion) {
        if (seenVersion > this.view.version() && running()) {
            requestRefresh();
        }
    }

    @Override
    public void refreshIfOlderThan(String seenIncarnation, long seenVersion) {
        ClusterView current = this.view;
        boolean sameTable = seenIncarnation.equals(current.incarnation());
        if ((!sameTable || seenVersion > current.version()) && running()) {
            requestRefresh();
        }
    }

    /**
     * Leaves the cluster gracefully: writes this silo's entry as shutting down (views drop it from the ring,
     * so no new activations are placed on it), runs the hand-over for at most the leave timeout, writes the
     * entry as dead and stops. Heartbeats go on until then, so that nobody evicts the silo mid-hand-over; it
     * stops probing others. Calling it again returns the same future.
     * @param handOver starts handing over this silo's actors (deactivating them, saving their state) and
     * returns a stage completed when done; it runs on an agent thread and must not block
     * @return completes once the silo has left; never fails
     */
    public CompletableFuture<Void> leave(Supplier<? extends CompletionStage<?>> handOver) {
        Objects.requireNonNull(handOver, "handOver must not be null");
        CompletableFuture<Void> done;
        synchronized (this.lifecycleLock) {
            if (this.leaving != null) {
                return this.leaving;
            }
            done = new CompletableFuture<>();
            this.leaving = done;
        }
        // The outcome reaches the caller through done, which the last stage completes.
        var unused = this.serial.call(() -> CompletableFuture.completedFuture(announceLeaving()))
            .thenCompose((handingOver) -> handingOver ? handOverWithin(handOver)
                    : CompletableFuture.completedFuture(null))
            .thenCompose((ignored) -> this.serial.call(() -> {
                finishLeaving();
                return CompletableFuture.completedFuture(null);
            }))
            .whenComplete((ignored, failure) -> {
                if (failure != null) {
                    logger.warn("Silo {} did not leave cluster '{}' cleanly: {}", this.settings.siloId(),
                            this.settings.clusterName(), failure.toString());
                    stop(MembershipState.LEFT);
                }
                done.complete(null);
            });
        return done;
    }

    /**
     * Stops at once without telling the table: to its peers the silo looks crashed, and they evict it by
     * probes and heartbeat expiry. For tests and fault injection; applications {@link #leave(Supplier)}.
     */
    public void halt() {
        stop(MembershipState.STOPPED);
        logger.info("Silo {} halted its membership without leaving cluster '{}'", this.settings.siloId(),
                this.settings.clusterName());
    }

    /**
     * Leaves the cluster without a hand-over if it is still a member (waiting at most the leave timeout), then
     * releases the threads the agent created.
     */
    @Override
    public void close() {
        MembershipState current = this.state;
        if (current != MembershipState.CREATED && current != MembershipState.STOPPED
                && current != MembershipState.LEFT) {
            Duration limit = this.settings.leaveTimeout().plusSeconds(5);
            try {
                leave(() -> CompletableFuture.completedFuture(null)).get(limit.toMillis(), TimeUnit.MILLISECONDS);
            }
            catch (TimeoutException | ExecutionException ex) {
                logger.warn("Silo {} did not leave cluster '{}' within {}", this.settings.siloId(),
                        this.settings.clusterName(), limit);
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        }
        stop(this.state == MembershipState.LEFT ? MembershipState.LEFT : MembershipState.STOPPED);
        if (this.releaseOwnedResources != null) {
            this.releaseOwnedResources.run();
        }
    }

    /**
     * Returns what the agent is doing.
     * @return its state
     */
    public MembershipState state() {
        return this.state;
    }

    /**
     * Returns this silo's current incarnation.
     * @return the epoch of its latest join, 0 before it joined
     */
    public long epoch() {
        return this.epoch;
    }

    /**
     * Returns this silo's entry in the current view.
     * @return the entry of its current incarnation, empty before the join or once the view no longer has it
     */
    public Optional<SiloEntry> self() {
        return this.view.silo(this.settings.siloId()).filter((entry) -> entry.epoch() == this.epoch);
    }

    /**
     * Returns the settings.
     * @return the settings
     */
    public MembershipSettings settings() {
        return this.settings;
    }

    /**
     * Joins: writes the joining entry, checks that this silo reaches the active silos ({@link JoinReachability}),
     * and writes the entry as active, or as dead when the check failed. Called on the serial executor; the
     * check runs asynchronously, other jobs may run meanwhile, and the last step is a job of its own.
     * @param onActive run in the job that wrote the entry as active, before any other job
     * @return completes with the active entry; fails when the table cannot be written or the check failed
     */
    private CompletableFuture<SiloEntry> join(Consumer<SiloEntry> onActive) {
        TableUpdater.Update joining = writeJoining();
        long newEpoch = Objects.requireNonNull(joining.written()).epoch();
        return this.reachability.check(joining.read(), () -> this.serial.execute(() -> renewJoining(newEpoch)))
            .handle((reached, failure) -> (failure != null) ? unwrap(failure) : null)
            .thenCompose((checked) -> this.serial.call(() -> {
                Throwable failure = checked;
                if (failure == null && isFinal(this.state)) {
                    failure = new IllegalStateException("The membership agent of silo " + this.settings.siloId()
                            + " stopped while it joined");
                }
                if (failure != null) {
                    abandonJoin(newEpoch, failure);
                    return CompletableFuture.failedFuture(failure);
                }
                SiloEntry self = activate(newEpoch);
                onActive.accept(self);
                return CompletableFuture.completedFuture(self);
            }));
    }

    /**
     * Renews the joining entry while the join's check lasts, so that peers do not evict it as expired; a failed
     * renewal is left to the next one, and an entry that changed meanwhile fails the activation.
     */
    private void renewJoining(long joiningEpoch) {
        try {
            if (!this.provider.heartbeat(this.settings.siloId(), joiningEpoch, this.clock.instant())) {
                logger.debug("Silo {} could not renew its joining entry (epoch {}): the table has another entry",
                        this.settings.siloId(), joiningEpoch);
            }
        }
        catch (RuntimeException ex) {
            logger.debug("Silo {} could not renew its joining entry (epoch {}): {}", this.settings.siloId(),
                    joiningEpoch, ex.toString());
        }
    }

    private static Throwable unwrap(Throwable failure) {
        return (failure instanceof CompletionException && failure.getCause() != null) ? failure.getCause() : failure;
    }

    /**
     * Writes the entry of an incarnation that will not become active as dead (joining, or just written active
     * by an agent that stopped meanwhile), so that nobody waits for it nor takes it for a member; a failure to
     * write is left to the eviction of stale entries.
     */
    private void abandonJoin(long joiningEpoch, Throwable why) {
        String siloId = this.settings.siloId();
        try {
            this.table.update("write the joining entry of silo " + siloId + " (epoch " + joiningEpoch + ") as dead",
                    (read) -> {
                        SiloEntry current = read.silos().get(siloId);
                        if (current == null || current.epoch() != joiningEpoch
                                || (current.status() != SiloStatus.JOINING && current.status() != SiloStatus.ACTIVE)) {
                            return null;
                        }
                        return current.withStatus(SiloStatus.DEAD).withLastHeartbeat(this.clock.instant());
                    });
        }
        catch (RuntimeException ex) {
            logger.warn("Silo {} could not write its joining entry (epoch {}) as dead; it will be evicted: {}", siloId,
                    joiningEpoch, ex.toString());
        }
        logger.debug("Silo {} abandoned its join with epoch {}", siloId, joiningEpoch, why);
    }

    private TableUpdater.Update writeJoining() {
        Instant now = this.clock.instant();
        String siloId = this.settings.siloId();
        TableUpdater.Update joining = this.table.update("write the joining entry of silo " + siloId, (read) -> {
            SiloEntry previous = read.silos().get(siloId);
            long next = Math.max((previous != null) ? previous.epoch() + 1 : 1, now.toEpochMilli());
            return new SiloEntry(siloId, this.settings.address(), now, SiloStatus.JOINING, now, next,
                    this.settings.actorTypes(), List.of(), this.settings.transportSecurity());
        });
        Objects.requireNonNull(joining.written(), "the joining entry was not written");
        return joining;
    }

    private SiloEntry activate(long newEpoch) {
        String siloId = this.settings.siloId();
        String activate = "write silo " + siloId + " (epoch " + newEpoch + ") as active";
        TableUpdater.Update active = this.table.update(activate, (read) -> {
            SiloEntry current = read.silos().get(siloId);
            if (current == null || current.epoch() != newEpoch || current.status() != SiloStatus.JOINING) {
                return null;
            }
            return current.withStatus(SiloStatus.ACTIVE).withLastHeartbeat(this.clock.instant());
        });
        SiloEntry self = active.written();
        if (self == null) {
            throw new IllegalStateException("The entry of silo " + siloId + " (epoch " + newEpoch
                    + ") was changed by another silo while it joined: "
                    + active.read().silo(siloId).map(Object::toString).orElse("it was removed"));
        }
        synchronized (this.lifecycleLock) {
            if (!isFinal(this.state)) {
                this.lastRenewal = Since.of(self.lastHeartbeat(), this.settings.fenceAfter());
                this.lastRound = Since.of(this.clock.instant(), this.settings.pauseLimit());
                this.epoch = newEpoch;
                this.state = MembershipState.ACTIVE;
                return self;
            }
        }
        // Stopped between the check before this job and the lock: the entry just written active, with a fresh
        // heartbeat, would otherwise stay active until it expires.
        IllegalStateException stopped = new IllegalStateException("The membership agent of silo " + siloId
                + " stopped while it joined; its entry (epoch " + newEpoch + ") is written as dead");
        abandonJoin(newEpoch, stopped);
        throw stopped;
    }

    private CompletionStage<?> probeRoundDue(Instant dueAt) {
        Instant now = this.clock.instant();
        Since last = this.lastRound;
        boolean paused = last.isOver(now);
        if (paused) {
            this.mustRenewAfter = now;
        }
        Instant silentSince = last.at();
        this.lastRound = Since.of(now, this.settings.pauseLimit());
        return this.serial.call(() -> probeRound(paused ? silentSince : null));
    }

    private CompletableFuture<Void> probeRound(@Nullable Instant silentSince) {
        if (silentSince != null && servingState()) {
            logger.info("Silo {} did not run its membership rounds since {}: it may have been voted dead meanwhile, "
                    + "so it stops serving until it has renewed its entry", this.settings.siloId(), silentSince);
            checkFence();
            heartbeat();
        }
        checkFence();
        if (this.state == MembershipState.ACTIVE && isServing()) {
            this.detector.round(this.latest, this.epoch);
        }
        return CompletableFuture.completedFuture(null);
    }

    private CompletableFuture<Void> heartbeatRound() {
        MembershipState current = this.state;
        if (current == MembershipState.ACTIVE || current == MembershipState.LEAVING) {
            heartbeat();
        }
        else if (current == MembershipState.REJOINING) {
            rejoin();
        }
        return CompletableFuture.completedFuture(null);
    }

    /**
     * Renews this silo's entry: by a heartbeat while it serves, by a conditional write when the renewal would
     * lift a fence (see {@link #renewWhileFenced}), also when it got fenced while the heartbeat was on its way.
     */
    private void heartbeat() {
        Instant at = this.clock.instant();
        if (fenceReason(at) != null) {
            renewWhileFenced(at);
            return;
        }
        boolean renewed;
        try {
            renewed = this.provider.heartbeat(this.settings.siloId(), this.epoch, at);
            storeReached();
        }
        catch (RuntimeException ex) {
            storeFailed("renew its heartbeat", ex);
            checkFence();
            return;
        }
        if (!renewed) {
            refusedRenewal("heartbeat");
        }
        else if (fenceReason(this.clock.instant()) != null) {
            renewWhileFenced(this.clock.instant());
        }
        else {
            this.lastRenewal = Since.of(at, this.settings.fenceAfter());
            checkFence();
        }
    }

    /**
     * Renews a fenced silo's entry by a conditional write instead of a heartbeat, before it serves again. While
     * it was fenced, a peer may have decided to evict it because its heartbeat expired, on a read taken before
     * this renewal; a heartbeat does not move the table version, so that eviction would still be written after
     * the silo resumed serving. The conditional write moves the version: an eviction decided before it
     * conflicts, is decided again on a read that has this renewal, and is dropped; an eviction written first
     * makes this write find the entry dead, and the silo learns that it was declared dead.
     */
    private void renewWhileFenced(Instant at) {
        long renewing = this.epoch;
        String siloId = this.settings.siloId();
        TableUpdater.Update update;
        try {
            update = this.table.update("renew the entry of fenced silo " + siloId + " (epoch " + renewing + ")",
                    (read) -> {
                        SiloEntry self = read.silos().get(siloId);
                        if (self == null || self.epoch() != renewing || (self.status() != SiloStatus.ACTIVE
                                && self.status() != SiloStatus.SHUTTING_DOWN)) {
                            return null;
                        }
                        return self.withLastHeartbeat(at);
                    });
            storeReached();
        }
        catch (RuntimeException ex) {
            storeFailed("renew its entry", ex);
            checkFence();
            return;
        }
        if (update.written() == null) {
            refusedRenewal("renewal");
            return;
        }
        this.lastRenewal = Since.of(at, this.settings.fenceAfter());
        checkFence();
    }

    private void refusedRenewal(String what) {
        long beating = this.epoch;
        refresh();
        if (servingState() && this.epoch == beating) {
            declaredDead("the membership table refused its " + what, false);
        }
    }

    private CompletableFuture<Void> refreshRound() {
        refresh();
        if (this.state == MembershipState.ACTIVE) {
            this.detector.removeLongDead(this.latest);
        }
        return CompletableFuture.completedFuture(null);
    }

    /**
     * Reads the table soon, once for any number of requests made before the read starts.
     */
    private void requestRefresh() {
        if (this.refreshPending.compareAndSet(false, true)) {
            this.serial.execute(() -> {
                this.refreshPending.set(false);
                if (running()) {
                    refresh();
                }
            });
        }
    }

    private void refresh() {
        MembershipSnapshot snapshot;
        try {
            snapshot = this.provider.read();
            storeReached();
        }
        catch (RuntimeException ex) {
            storeFailed("read the membership table", ex);
            return;
        }
        noticeLostTable(this.latest, snapshot);
        this.latest = snapshot;
        ClusterView current = this.view;
        if (!snapshot.showsSameTable(current.membership())) {
            publish(ClusterView.of(snapshot, this.settings.virtualNodes()));
        }
        if (servingState()) {
            SiloEntry self = snapshot.silos().get(this.settings.siloId());
            if (self == null) {
                declaredDead("its entry is gone from the membership table", false);
            }
            else if (self.epoch() > this.epoch) {
                declaredDead("a newer incarnation of silo " + self.siloId() + " joined with epoch " + self.epoch()
                        + " from " + self.address() + " (do two running silos have the same id?)", true);
            }
            else if (self.epoch() != this.epoch || self.status() == SiloStatus.DEAD) {
                declaredDead("the membership table says it is dead", false);
            }
            else if (writeLostStatusAgain(self)) {
                refresh();
            }
        }
    }

    /**
     * Writes this silo's status again when the table lost the write that set it (a failover to a replica that had
     * not received it): its entry, in this incarnation, still shows the status before — {@code JOINING} while the
     * silo is active, so no silo would place anything on it, or {@code ACTIVE} while it leaves, so silos would still
     * place new activations on it.
     * @return whether it wrote the status again
     */
    private boolean writeLostStatusAgain(SiloEntry self) {
        SiloStatus before = self.status();
        MembershipState state = this.state;
        SiloStatus written;
        if (before == SiloStatus.JOINING && state == MembershipState.ACTIVE) {
            written = SiloStatus.ACTIVE;
        }
        else if (before == SiloStatus.ACTIVE && state == MembershipState.LEAVING) {
            written = SiloStatus.SHUTTING_DOWN;
        }
        else {
            return false;
        }
        String siloId = this.settings.siloId();
        long epoch = this.epoch;
        logger.warn("Silo {} (epoch {}) reads its entry in cluster '{}' as {} though it wrote it {}: the table lost "
                + "that write; it writes it again", siloId, epoch, this.settings.clusterName(), before, written);
        try {
            TableUpdater.Update update = this.table.update("write silo " + siloId + " (epoch " + epoch + ") as "
                    + written + " again", (read) -> {
                        SiloEntry current = read.silos().get(siloId);
                        if (current == null || current.epoch() != epoch || current.status() != before) {
                            return null;
                        }
                        return current.withStatus(written).withLastHeartbeat(this.clock.instant());
                    });
            storeReached();
            return update.written() != null;
        }
        catch (RuntimeException ex) {
            storeFailed("write its status again", ex);
            return false;
        }
    }

    /**
     * Logs when a read shows that the table lost data since the previous one. Reads run one at a time and a
     * store answers each with its state at that moment, so every read is taken as the table's truth, even with
     * a lower version: a new incarnation is a table that lost everything and grew again (Redis restarted
     * without persistence, a flush); a lower version of the same incarnation is a table that lost its latest
     * writes (a replica that had not received them took over), and so is one at the same version with other
     * silos, epochs or statuses (written again up to that version since). Either way, keeping the older view
     * would route by a table nobody writes any more.
     */
    private void noticeLostTable(MembershipSnapshot previous, MembershipSnapshot next) {
        if (!next.isSameIncarnation(previous)) {
            if (!previous.incarnation().equals(MembershipSnapshot.NO_INCARNATION)) {
                logger.warn("Silo {} reads a new membership table of cluster '{}' (incarnation {}, version {}; it "
                        + "had read incarnation {} at version {}): the table lost its data, every silo joins it again",
                        this.settings.siloId(), this.settings.clusterName(), next.incarnation(), next.version(),
                        previous.incarnation(), previous.version());
            }
        }
        else if (next.version() < previous.version()) {
            logger.warn("Silo {} reads the membership table of cluster '{}' at version {} after version {}: the table "
                    + "lost its latest writes; it takes the table as it is now", this.settings.siloId(),
                    this.settings.clusterName(), next.version(), previous.version());
        }
        else if (next.version() == previous.version() && !next.showsSameTable(previous)) {
            logger.warn("Silo {} reads the membership table of cluster '{}' at version {} with other entries than "
                    + "it read at that version: the table lost its latest writes and was written again since; it "
                    + "takes the table as it is now", this.settings.siloId(), this.settings.clusterName(),
                    next.version());
        }
    }

    private void publish(ClusterView next) {
        ClusterView previous = this.view;
        this.view = next;
        if (!previous.ring().silos().equals(next.ring().silos())) {
            logger.info("Silo {} sees cluster '{}' at version {}: active silos {}", this.settings.siloId(),
                    this.settings.clusterName(), next.version(), next.ring().silos());
        }
        for (Consumer<ClusterView> listener : this.viewListeners) {
            try {
                listener.accept(next);
            }
            catch (RuntimeException ex) {
                logger.warn("A cluster view listener of silo {} failed", this.settings.siloId(), ex);
            }
        }
    }

    /**
     * Stops serving because this incarnation is no longer a member, and rejoins unless it is leaving, rejoining
     * is turned off, or a newer incarnation of this silo id took its place (rejoining would evict it in turn).
     */
    private void declaredDead(String reason, boolean superseded) {
        long previousEpoch = this.epoch;
        boolean leavingNow = this.state == MembershipState.LEAVING;
        boolean rejoining = !leavingNow && !superseded && this.settings.rejoinAutomatically();
        if (!moveTo(rejoining ? MembershipState.REJOINING : MembershipState.DECLARED_DEAD)) {
            logger.debug("Silo {} was declared dead after it stopped: {}", this.settings.siloId(), reason);
            return;
        }
        this.detector.reset();
        if (superseded) {
            logger.warn("Silo {} (epoch {}) is no longer a member of cluster '{}': {}; it stopped serving and does "
                    + "not rejoin", this.settings.siloId(), previousEpoch, this.settings.clusterName(), reason);
        }
        else {
            logger.info("Silo {} (epoch {}) was declared dead by cluster '{}': {}; it stopped serving{}",
                    this.settings.siloId(), previousEpoch, this.settings.clusterName(), reason,
                    rejoining ? " and rejoins with a new epoch" : "");
        }
        if (this.announcedFence == null) {
            this.metrics.fenced(FenceReason.DECLARED_DEAD);
            for (SiloLifecycleListener listener : this.lifecycleListeners) {
                tell(listener, (l) -> l.fenced(FenceReason.DECLARED_DEAD));
            }
        }
        this.announcedFence = FenceReason.DECLARED_DEAD;
        for (SiloLifecycleListener listener : this.lifecycleListeners) {
            tell(listener, (l) -> l.declaredDead(previousEpoch));
        }
        if (rejoining) {
            rejoin();
        }
    }

    private void rejoin() {
        if (this.rejoinInFlight) {
            return;
        }
        Instant notBefore = this.rejoinNotBefore;
        if (notBefore != null && this.clock.instant().isBefore(notBefore)) {
            return;
        }
        long previousEpoch = this.epoch;
        CompletableFuture<SiloEntry> rejoined;
        try {
            rejoined = join((self) -> {
                logger.info("Silo {} rejoined cluster '{}' with epoch {} (was {})", self.siloId(),
                        this.settings.clusterName(), self.epoch(), previousEpoch);
                this.announcedFence = null;
                refresh();
                for (SiloLifecycleListener listener : this.lifecycleListeners) {
                    tell(listener, (l) -> l.rejoined(self, previousEpoch));
                }
            });
            storeReached();
        }
        catch (RuntimeException ex) {
            if (isFinal(this.state)) {
                logger.debug("Silo {} stopped while it rejoined", this.settings.siloId(), ex);
                return;
            }
            storeFailed("rejoin (retrying every " + this.settings.heartbeatInterval() + ")", ex);
            return;
        }
        this.rejoinInFlight = true;
        rejoined.whenComplete((self, failure) -> this.serial.execute(() -> {
            this.rejoinInFlight = false;
            if (failure == null || isFinal(this.state)) {
                this.rejoinBackOff = null;
                this.rejoinNotBefore = null;
                return;
            }
            Throwable cause = unwrap(failure);
            if (cause instanceof TransportSecurityMismatchException) {
                // Decided from the entries, without a probe's failure as cause: it does not heal by itself either.
                Duration backOff = nextRejoinBackOff();
                this.rejoinNotBefore = this.clock.instant().plus(backOff);
                logger.warn("Silo {} could not rejoin cluster '{}' (transport security mismatch; it tries again in "
                        + "{}): {}", this.settings.siloId(), this.settings.clusterName(), backOff, cause.getMessage());
            }
            else if (cause instanceof UnreachablePeersException && cause.getCause() != null
                    && this.prober.isRefusal(cause.getCause())) {
                Duration backOff = nextRejoinBackOff();
                this.rejoinNotBefore = this.clock.instant().plus(backOff);
                logger.warn("Silo {} could not rejoin cluster '{}' (refused; it tries again in {}): {}",
                        this.settings.siloId(), this.settings.clusterName(), backOff, cause.getMessage());
            }
            else if (cause instanceof UnreachablePeersException) {
                this.rejoinBackOff = null;
                this.rejoinNotBefore = null;
                logger.warn("Silo {} could not rejoin cluster '{}' (it tries again every {}): {}",
                        this.settings.siloId(), this.settings.clusterName(), this.settings.heartbeatInterval(),
                        cause.getMessage());
            }
            else if (cause instanceof RuntimeException ex) {
                storeFailed("rejoin (retrying every " + this.settings.heartbeatInterval() + ")", ex);
            }
        }));
    }

    /**
     * The wait before the next rejoin after a refused one: twice the heartbeat interval, doubled after each
     * refused rejoin in a row, at most the silo TTL. A refused rejoin ends within a couple of probe rounds, so
     * retrying every heartbeat would write a {@code JOINING} and a {@code DEAD} entry every heartbeat while the
     * refusal lasts (a misconfigured certificate does not heal by itself). A rejoin that failed on a
     * {@link TransportSecurityMismatchException} backs off the same way: the setting does not change by itself.
     */
    private Duration nextRejoinBackOff() {
        Duration previous = this.rejoinBackOff;
        Duration next = (previous == null) ? this.settings.heartbeatInterval().multipliedBy(2)
                : previous.multipliedBy(2);
        Duration cap = this.settings.siloTtl();
        if (next.compareTo(cap) > 0) {
            next = cap.compareTo(this.settings.heartbeatInterval()) > 0 ? cap : this.settings.heartbeatInterval();
        }
        this.rejoinBackOff = next;
        return next;
    }

    private void checkFence() {
        if (!servingState()) {
            return;
        }
        FenceReason reason = fenceReason(this.clock.instant());
        if (reason != null && this.announcedFence == null) {
            this.announcedFence = reason;
            if (reason == FenceReason.NOT_RENEWED) {
                logger.info("Silo {} could not renew its entry since {} (TTL {} minus margin {}): it stops serving, "
                        + "since it cannot know whether it was declared dead", this.settings.siloId(),
                        this.lastRenewal.at(), this.settings.siloTtl(), this.settings.fencingMargin());
            }
            this.metrics.fenced(reason);
            for (SiloLifecycleListener listener : this.lifecycleListeners) {
                tell(listener, (l) -> l.fenced(reason));
            }
        }
        else if (reason == null && this.announcedFence != null) {
            this.announcedFence = null;
            logger.info("Silo {} renewed its entry: it serves again", this.settings.siloId());
            for (SiloLifecycleListener listener : this.lifecycleListeners) {
                tell(listener, SiloLifecycleListener::resumedServing);
            }
        }
    }

    private @Nullable FenceReason fenceReason(Instant now) {
        Since renewed = this.lastRenewal;
        if (renewed.isOver(now)) {
            return FenceReason.NOT_RENEWED;
        }
        if (renewed.at().isBefore(this.mustRenewAfter) || this.lastRound.isOver(now)) {
            return FenceReason.PAUSED;
        }
        return null;
    }

    /**
     * Starts leaving. Only an active silo announces it and hands over: it moves to {@link MembershipState#LEAVING},
     * in which it still serves. A silo that is not a member at the moment (declared dead and rejoining, or not
     * joined yet) has nothing to hand over and must not serve again, so it moves straight to
     * {@link MembershipState#LEFT}.
     * @return whether to hand over
     */
    private boolean announceLeaving() {
        MembershipState current = this.state;
        if (current != MembershipState.ACTIVE) {
            moveTo(MembershipState.LEFT);
            return false;
        }
        if (moveTo(MembershipState.LEAVING)) {
            long leavingEpoch = this.epoch;
            try {
                String shutDown = "write silo " + this.settings.siloId() + " (epoch " + leavingEpoch
                        + ") as shutting down";
                this.table.update(shutDown, (read) -> {
                    SiloEntry self = read.silos().get(this.settings.siloId());
                    if (self == null || self.epoch() != leavingEpoch || self.status() != SiloStatus.ACTIVE) {
                        return null;
                    }
                    return self.withStatus(SiloStatus.SHUTTING_DOWN).withLastHeartbeat(this.clock.instant());
                });
                logger.info("Silo {} is leaving cluster '{}': shutting down, handing over its actors (at most {})",
                        this.settings.siloId(), this.settings.clusterName(), this.settings.leaveTimeout());
            }
            catch (RuntimeException ex) {
                logger.warn("Silo {} could not announce that it is leaving cluster '{}': {}", this.settings.siloId(),
                        this.settings.clusterName(), ex.toString());
            }
            refresh();
            return true;
        }
        return false;
    }

    private CompletableFuture<Void> handOverWithin(Supplier<? extends CompletionStage<?>> handOver) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        RuntimeScheduler.Cancellable deadline = this.scheduler
            .schedule(this.clock.instant().plus(this.settings.leaveTimeout()), () -> {
                if (done.complete(null)) {
                    logger.warn("The hand-over of silo {}'s actors did not finish within {}; it leaves anyway",
                            this.settings.siloId(), this.settings.leaveTimeout());
                }
                return CompletableFuture.completedFuture(null);
            });
        try {
            handOver.get().whenComplete((ignored, failure) -> {
                if (failure != null) {
                    logger.warn("The hand-over of silo {}'s actors failed; it leaves anyway: {}",
                            this.settings.siloId(), failure.toString());
                }
                if (done.complete(null)) {
                    deadline.cancel();
                }
            });
        }
        catch (RuntimeException ex) {
            logger.warn("The hand-over of silo {}'s actors failed; it leaves anyway: {}", this.settings.siloId(),
                    ex.toString());
            if (done.complete(null)) {
                deadline.cancel();
            }
        }
        return done;
    }

    private void finishLeaving() {
        if (this.state == MembershipState.LEAVING) {
            long leavingEpoch = this.epoch;
            try {
                String leave = "write that silo " + this.settings.siloId() + " (epoch " + leavingEpoch + ") left";
                this.table.update(leave, (read) -> {
                    SiloEntry self = read.silos().get(this.settings.siloId());
                    if (self == null || self.epoch() != leavingEpoch || self.status() == SiloStatus.DEAD) {
                        return null;
                    }
                    return self.withStatus(SiloStatus.DEAD).withLastHeartbeat(this.clock.instant());
                });
            }
            catch (RuntimeException ex) {
                logger.warn("Silo {} could not write that it left cluster '{}'; its peers will evict it: {}",
                        this.settings.siloId(), this.settings.clusterName(), ex.toString());
            }
        }
        boolean wasMember = this.epoch != 0;
        moveTo(MembershipState.LEFT);
        if (wasMember) {
            refresh();
        }
        stop(MembershipState.LEFT);
        if (wasMember) {
            logger.info("Silo {} left cluster '{}'", this.settings.siloId(), this.settings.clusterName());
            for (SiloLifecycleListener listener : this.lifecycleListeners) {
                tell(listener, SiloLifecycleListener::left);
            }
        }
    }

    /**
     * Stops the tasks and the watch, and moves to a final state unless the agent is in one already.
     */
    private void stop(MembershipState finalState) {
        MembershipProvider.Watch watch;
        synchronized (this.lifecycleLock) {
            if (!isFinal(this.state)) {
                this.state = finalState;
            }
            watch = this.tableWatch;
            this.tableWatch = null;
        }
        this.tasks.forEach(PeriodicTask::stop);
        if (watch != null) {
            watch.close();
        }
    }

    /**
     * Moves the agent to a state unless it has stopped: {@link MembershipState#STOPPED} and
     * {@link MembershipState#LEFT} are final. Every change of state goes through the lifecycle lock, so that a
     * {@link #halt()} on another thread is never overwritten by a job that decided on the state before it.
     * @param next the state
     * @return whether the agent is now in that state
     */
    private boolean moveTo(MembershipState next) {
        synchronized (this.lifecycleLock) {
            if (isFinal(this.state)) {
                return this.state == next;
            }
            this.state = next;
            return true;
        }
    }

    private static boolean isFinal(MembershipState state) {
        return state == MembershipState.STOPPED || state == MembershipState.LEFT;
    }

    private boolean servingState() {
        MembershipState current = this.state;
        return current == MembershipState.ACTIVE || current == MembershipState.LEAVING;
    }

    private boolean running() {
        MembershipState current = this.state;
        return current != MembershipState.CREATED && current != MembershipState.STOPPED
                && current != MembershipState.LEFT;
    }

    private void storeReached() {
        if (this.storeFailing) {
            this.storeFailing = false;
            logger.info("Silo {} reaches the membership table again", this.settings.siloId());
        }
    }

    private void storeFailed(String what, RuntimeException ex) {
        if (!this.storeFailing) {
            this.storeFailing = true;
            logger.warn("Silo {} could not {}: {}", this.settings.siloId(), what, ex.toString());
        }
        else {
            logger.debug("Silo {} could not {}", this.settings.siloId(), what, ex);
        }
    }

    private void tell(SiloLifecycleListener listener, Consumer<SiloLifecycleListener> event) {
        try {
            event.accept(listener);
        }
        catch (RuntimeException ex) {
            logger.warn("A membership listener of silo {} failed", this.settings.siloId(), ex);
        }
    }

    private static @Nullable Runnable ownedResources(@Nullable ScheduledThreadPoolExecutor timer,
            @Nullable ExecutorService executor) {
        if (timer == null && executor == null) {
            return null;
        }
        return () -> {
            if (timer != null) {
                timer.shutdownNow();
            }
            if (executor != null) {
                executor.shutdown();
            }
        };
    }

    /**
     * Builds a {@link SiloMembership}.
     */
    public static final class Builder {

        private final MembershipSettings settings;

        private final MembershipProvider provider;

        private final SiloProber prober;

        private Clock clock = Clock.systemUTC();

        private @Nullable RuntimeScheduler scheduler;

        private @Nullable Executor executor;

        private MembershipMetrics metrics = MembershipMetrics.NONE;

        private Builder(MembershipSettings settings, MembershipProvider provider, SiloProber prober) {
            this.settings = Objects.requireNonNull(settings, "settings must not be null");
            this.provider = Objects.requireNonNull(provider, "provider must not be null");
            this.prober = Objects.requireNonNull(prober, "prober must not be null");
        }

        /**
         * Sets the clock heartbeats, TTLs, votes and fencing are measured with; it must be the clock of the
         * scheduler. Default: the system clock in UTC.
         * @param clock the clock
         * @return this builder
         */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock must not be null");
            return this;
        }

        /**
         * Sets what runs heartbeats, probe rounds, refreshes and the leave deadline. Default: real time on a
         * thread of the agent's own; tests use the test kit's {@code ManualScheduler}.
         * @param scheduler the scheduler
         * @return this builder
         */
        public Builder scheduler(RuntimeScheduler scheduler) {
            this.scheduler = Objects.requireNonNull(scheduler, "scheduler must not be null");
            return this;
        }

        /**
         * Sets where the agent's jobs run, one at a time; they block on the membership table. Default: a
         * virtual thread per job; tests pass {@code Runnable::run} to run everything on the scheduler's thread.
         * @param executor the executor
         * @return this builder
         */
        public Builder executor(Executor executor) {
            this.executor = Objects.requireNonNull(executor, "executor must not be null");
            return this;
        }

        /**
         * Sets where membership is recorded. Default: nowhere.
         * @param metrics the metrics
         * @return this builder
         */
        public Builder metrics(MembershipMetrics metrics) {
            this.metrics = Objects.requireNonNull(metrics, "metrics must not be null");
            return this;
        }

        /**
         * Builds the agent; {@link SiloMembership#start()} joins.
         * @return the agent
         */
        public SiloMembership build() {
            return new SiloMembership(this);
        }
    }
}
