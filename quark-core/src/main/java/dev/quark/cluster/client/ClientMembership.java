package dev.quark.cluster.client;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import dev.quark.cluster.membership.ClusterView;
import dev.quark.cluster.membership.ClusterViewSource;
import dev.quark.cluster.membership.MembershipProvider;
import dev.quark.cluster.membership.MembershipSnapshot;
import dev.quark.cluster.membership.SiloEntry;
import dev.quark.cluster.membership.SiloStatus;
import dev.quark.runtime.InvalidSettingException;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The view of membership of a cluster client: an application that calls the actors of a cluster but hosts
 * none. It only reads the membership table — it never writes an entry, so no silo places anything on it, probes
 * it or counts it in votes — when the table hints at a change, every refresh interval, when a silo's answer
 * shows a newer version, and when a leaving silo tells it of its leave (its routing then answers once this view has
 * reached the leave's version). Every read that finds the table changed (another version or incarnation, lower ones
 * included, or other entries at the same version) becomes a new {@link ClusterView}, told to subscribers in order
 * on the reader's thread.
 * <p>
 * It never serves ({@link #isServing()} is always {@code false}): routing that follows it refuses calls sent to
 * it and never activates an actor locally. A table that cannot be read keeps the last view and is read again at
 * the next interval, so a client outlives a restart of the whole cluster, or of the table's backend: calls fail
 * while no silo is active ({@link dev.quark.cluster.NoActiveSiloException}) and go to the new silos from the
 * first read that finds them.
 * <pre>{@code
 * SiloRouting routing = SiloRouting.builder("client-1", transport).build();
 * ActorRuntime runtime = routing.configure(ActorRuntime.builder()).build();
 * routing.listen(runtime, codec);                 // the silos answer at this address
 * ClientMembership membership = new ClientMembership("client-1", provider, 150, Duration.ofSeconds(5));
 * routing.follow(membership);
 * membership.start();
 * }</pre>
 */
public final class ClientMembership implements ClusterViewSource, AutoCloseable {

    private static final Logger logger = LoggerFactory.getLogger(ClientMembership.class);

    private final String clientId;

    private final MembershipProvider provider;

    private final int virtualNodes;

    private final Duration refreshInterval;

    private final Clock clock;

    private final List<Consumer<ClusterView>> listeners = new CopyOnWriteArrayList<>();

    /** Released by a hint or a refresh request: the reader reads at once instead of at the next interval. */
    private final Semaphore wakeUp = new Semaphore(0);

    private final Object lock = new Object();

    private volatile ClusterView current = ClusterView.EMPTY;

    private volatile @Nullable LastRead lastRead;

    private volatile @Nullable String idConflict;

    private @Nullable Thread reader;

    /** Whether start() read the table once and found no conflict: later conflicts are logged, not refused. */
    private volatile boolean started;

    private MembershipProvider.@Nullable Watch watch;

    private volatile boolean closed;

    private ClientMetrics metrics = ClientMetrics.NONE;

    /**
     * Creates the client's view of membership; it reads nothing before {@link #start()}.
     * @param clientId the client's id, for logs and its routing
     * @param provider the cluster's membership table
     * @param virtualNodes the points per silo on the ring, as the silos have them
     * @param refreshInterval how often the table is read without a hint
     */
    public ClientMembership(String clientId, MembershipProvider provider, int virtualNodes, Duration refreshInterval) {
        this(clientId, provider, virtualNodes, refreshInterval, Clock.systemUTC());
    }

    /**
     * Creates the client's view of membership with a clock for the time of the last read.
     * @param clientId the client's id
     * @param provider the cluster's membership table
     * @param virtualNodes the points per silo on the ring, as the silos have them
     * @param refreshInterval how often the table is read without a hint
     * @param clock the clock
     */
    public ClientMembership(String clientId, MembershipProvider provider, int virtualNodes, Duration refreshInterval,
            Clock clock) {
        this.clientId = Objects.requireNonNull(clientId, "clientId must not be null");
        this.provider = Objects.requireNonNull(provider, "provider must not be null");
        if (virtualNodes < 1) {
            throw new InvalidSettingException("virtualNodes", virtualNodes, "must be at least 1");
        }
        Objects.requireNonNull(refreshInterval, "refreshInterval must not be null");
        if (refreshInterval.isNegative() || refreshInterval.isZero()) {
            throw new InvalidSettingException("tableRefreshInterval", refreshInterval, "must be positive");
        }
        this.virtualNodes = virtualNodes;
        this.refreshInterval = refreshInterval;
        this.clock = Objects.requireNonNull(clock, "clock must not be null");
    }

    /**
     * Sets where reads of the table are reported, and binds the gauges of the view; before {@link #start()}.
     * Default: nowhere.
     * @param metrics the metrics
     * @return this membership
     * @throws IllegalStateException when started already
     */
    public ClientMembership metrics(ClientMetrics metrics) {
        Objects.requireNonNull(metrics, "metrics must not be null");
        synchronized (this.lock) {
            if (this.reader != null || this.closed) {
                throw new IllegalStateException("The metrics of cluster client " + this.clientId
                        + " are set before it starts");
            }
            this.metrics = metrics;
        }
        return this;
    }

    /**
     * Reads the table once, then watches it and reads it in the background until closed. A failed first read
     * does not fail the start: it is logged, reported by {@link #lastReadFailure()}, and read again. A first read
     * that finds a silo that is not dead with the client's id fails it, and closes this membership: the client
     * would send that silo's calls to itself.
     * @throws ClientIdConflictException when a silo that is not dead has the client's id
     * @throws IllegalStateException when started already or closed
     */
    public void start() {
        MembershipProvider.Watch refused;
        String conflict;
        synchronized (this.lock) {
            if (this.reader != null || this.closed) {
                throw new IllegalStateException("The membership of cluster client " + this.clientId + " is "
                        + (this.closed ? "closed" : "started already"));
            }
            try {
                this.watch = this.provider.watch(this.wakeUp::release);
            }
            catch (RuntimeException ex) {
                logger.warn("Cluster client {} cannot watch the membership table; it reads it every {}",
                        this.clientId, this.refreshInterval, ex);
            }
            this.metrics.bindClient(this);
            readOnce();
            conflict = this.idConflict;
            if (conflict == null) {
                this.started = true;
                this.reader = Thread.ofVirtual()
                    .name("quark-client-membership-" + this.clientId)
                    .start(this::readUntilClosed);
                return;
            }
            this.closed = true;
            refused = this.watch;
        }
        if (refused != null) {
            refused.close();
        }
        throw new ClientIdConflictException(this.clientId, conflict);
    }

    private void readUntilClosed() {
        while (!this.closed) {
            try {
                this.wakeUp.tryAcquire(this.refreshInterval.toNanos(), TimeUnit.NANOSECONDS);
            }
            catch (InterruptedException ex) {
                return;
            }
            this.wakeUp.drainPermits();
            if (!this.closed) {
                readOnce();
            }
        }
    }

    /**
     * Reads the table and installs what it holds. Whatever fails, in the read or after it, is reported by
     * {@link #lastReadFailure()} and never ends the reader.
     */
    private void readOnce() {
        MembershipSnapshot snapshot;
        try {
            snapshot = this.provider.read();
        }
        catch (RuntimeException ex) {
            this.metrics.tableRead(false);
            readFailed(ex);
            return;
        }
        try {
            install(snapshot);
        }
        catch (RuntimeException ex) {
            this.metrics.tableRead(false);
            readFailed(ex);
            return;
        }
        this.metrics.tableRead(true);
        this.lastRead = new LastRead(this.clock.instant(), null);
    }

    private void readFailed(RuntimeException ex) {
        if (this.lastRead == null || this.lastRead.failure() == null) {
            logger.warn("Cluster client {} cannot read the membership table; it keeps its last view and reads "
                    + "again every {}", this.clientId, this.refreshInterval, ex);
        }
        this.lastRead = new LastRead(this.clock.instant(), ex);
    }

    /**
     * Installs a snapshot that shows another table than the current view, as the routing does: reads run one at a
     * time, so each is the table as it is now, also one of a lower version (the table lost its latest writes: a
     * replica that had not received them took over) or of another incarnation (it lost its data and grew again).
     * So what the client reports (its health, its active silos) is what it routes with. An empty table (version 0:
     * lost, and not written since) is not installed.
     */
    private void install(MembershipSnapshot snapshot) {
        Objects.requireNonNull(snapshot, "the membership table answered no snapshot");
        ClusterView previous = this.current;
        MembershipSnapshot known = previous.membership();
        if (snapshot.version() == 0 || snapshot.showsSameTable(known)) {
            return;
        }
        if (!snapshot.isSameIncarnation(known) && known.version() > 0) {
            logger.warn("Cluster client {} reads a new membership table (incarnation {}, version {}; it had read "
                    + "incarnation {} at version {}): the table lost its data, the client routes by the new one",
                    this.clientId, snapshot.incarnation(), snapshot.version(), known.incarnation(), known.version());
        }
        else if (snapshot.isSameIncarnation(known) && snapshot.version() <= known.version()) {
            logger.warn("Cluster client {} reads membership version {} {} version {}: the table lost its latest "
                    + "writes, the client routes by it as it is now", this.clientId, snapshot.version(),
                    (snapshot.version() < known.version()) ? "after" : "with other entries than its", known.version());
        }
        SiloEntry clash = snapshot.silos().get(this.clientId);
        String conflict = (clash != null && clash.status() != SiloStatus.DEAD) ? "silo " + clash.siloId() + " at "
                + clash.address() + " has the id of cluster client " + this.clientId + " (" + clash.status()
                + "): the client would send that silo's calls to itself; give the client another "
                + "quark.cluster.silo.id" : null;
        if (conflict != null && this.idConflict == null && this.started) {
            // Not on the first read: start() refuses to start then.
            logger.error("Cluster client {}: {}", this.clientId, conflict);
        }
        this.idConflict = conflict;
        ClusterView next = ClusterView.of(snapshot, this.virtualNodes);
        this.current = next;
        if (previous.ring().silos().isEmpty() && !next.ring().silos().isEmpty()) {
            logger.info("Cluster client {} sees {} active silo(s) (membership version {})", this.clientId,
                    next.ring().silos().size(), next.version());
        }
        else if (!previous.ring().silos().isEmpty() && next.ring().silos().isEmpty()) {
            logger.warn("Cluster client {} sees no active silo (membership version {}): calls fail until one joins",
                    this.clientId, next.version());
        }
        for (Consumer<ClusterView> listener : this.listeners) {
            try {
                listener.accept(next);
            }
            catch (RuntimeException ex) {
                logger.error("A listener of cluster client {} failed on membership version {}", this.clientId,
                        next.version(), ex);
            }
        }
    }

    @Override
    public ClusterView current() {
        return this.current;
    }

    @Override
    public MembershipProvider.Watch subscribe(Consumer<ClusterView> listener) {
        Objects.requireNonNull(listener, "listener must not be null");
        this.listeners.add(listener);
        return () -> this.listeners.remove(listener);
    }

    /**
     * Always {@code false}: a client hosts no actors and serves no calls.
     * @return {@code false}
     */
    @Override
    public boolean isServing() {
        return false;
    }

    @Override
    public void refreshIfOlderThan(long seenVersion) {
        if (seenVersion > this.current.version()) {
            this.wakeUp.release();
        }
    }

    /**
     * Returns the client's id.
     * @return the id
     */
    public String clientId() {
        return this.clientId;
    }

    /**
     * Returns the entries of the silos that are active in the current view, in ring order of their ids.
     * @return the entries
     */
    public List<SiloEntry> activeSilos() {
        ClusterView view = this.current;
        return view.ring().silos().stream()
            .map((siloId) -> view.membership().silos().get(siloId))
            .filter((entry) -> entry != null && entry.status() == SiloStatus.ACTIVE)
            .toList();
    }

    /**
     * Returns when the table was last read, successfully or not.
     * @return the instant, {@code null} before the first read
     */
    public @Nullable Instant lastReadAt() {
        LastRead read = this.lastRead;
        return (read != null) ? read.at() : null;
    }

    /**
     * Returns why the last read of the table failed.
     * @return the failure, {@code null} when the last read succeeded or none was made
     */
    public @Nullable RuntimeException lastReadFailure() {
        LastRead read = this.lastRead;
        return (read != null) ? read.failure() : null;
    }

    /**
     * Returns why the client cannot route: a silo that is not dead in the current view has the client's id.
     * @return the reason, {@code null} when no silo has it
     */
    public @Nullable String idConflict() {
        return this.idConflict;
    }

    /**
     * Stops watching and reading the table. Idempotent.
     */
    @Override
    public void close() {
        MembershipProvider.Watch stopping;
        Thread running;
        synchronized (this.lock) {
            if (this.closed) {
                return;
            }
            this.closed = true;
            stopping = this.watch;
            running = this.reader;
        }
        if (stopping != null) {
            stopping.close();
        }
        if (running != null) {
            running.interrupt();
        }
    }

    @Override
    public String toString() {
        return "ClientMembership[" + this.clientId + ", membership version " + this.current.version() + "]";
    }

    private record LastRead(Instant at, @Nullable RuntimeException failure) {
    }
}
