package dev.quark.testkit.cluster;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Function;

import dev.quark.cluster.membership.ClusterView;
import dev.quark.cluster.membership.ClusterViewSource;
import dev.quark.cluster.membership.MembershipProvider;
import dev.quark.cluster.membership.MembershipSnapshot;
import dev.quark.cluster.membership.SiloAddress;
import dev.quark.cluster.membership.SiloEntry;
import dev.quark.cluster.membership.SiloStatus;

import org.jspecify.annotations.Nullable;

/**
 * The simplest {@link ClusterViewSource}: one silo's view, rebuilt from the membership table on every watch
 * hint (and when a call shows that another silo has read a newer version). It writes its silo's entry when
 * told ({@link #join}, {@link #shutDown}, {@link #leave}) and does nothing by itself: no heartbeats, no
 * probes, no failure detection — in a test, {@link #setStatus} declares a silo dead the way failure detection
 * would. It serves while its own entry is {@code ACTIVE} or {@code SHUTTING_DOWN}.
 * <p>
 * {@link #holdViews()} lets a test keep one silo on an old view while the others move on (hints, the table's
 * and a leaving silo's announcement, are ignored until {@link #releaseViews()}; a call from a silo with a newer
 * view still makes it read the table).
 */
public final class TableViewSource implements ClusterViewSource, AutoCloseable {

    /** How many times a conditional write is tried against a table that others keep changing. */
    private static final int WRITE_ATTEMPTS = 100;

    private final MembershipProvider table;

    private final String siloId;

    private final int virtualNodes;

    private final List<Consumer<ClusterView>> listeners = new CopyOnWriteArrayList<>();

    private final MembershipProvider.Watch watch;

    private volatile ClusterView current = ClusterView.EMPTY;

    private volatile boolean held;

    private volatile boolean closed;

    /**
     * Creates the source of one silo and starts watching the table.
     * @param table the cluster's membership table
     * @param siloId the silo whose view this is
     * @param virtualNodes the points per silo on the ring
     */
    public TableViewSource(MembershipProvider table, String siloId, int virtualNodes) {
        this.table = Objects.requireNonNull(table, "table must not be null");
        this.siloId = Objects.requireNonNull(siloId, "siloId must not be null");
        this.virtualNodes = virtualNodes;
        this.watch = table.watch(() -> {
            if (!this.held) {
                refresh();
            }
        });
        refresh();
    }

    /**
     * Writes this silo's entry as {@code ACTIVE}: it takes calls and owns its share of the ring.
     * @param entry the entry; its status is replaced by {@code ACTIVE}
     */
    public void join(SiloEntry entry) {
        if (!entry.siloId().equals(this.siloId)) {
            throw new IllegalArgumentException("The view source of silo " + this.siloId + " cannot join silo "
                    + entry.siloId());
        }
        write(this.table, this.siloId, (existing) -> entry.withStatus(SiloStatus.ACTIVE));
        refresh();
    }

    /**
     * Writes this silo's entry as {@code SHUTTING_DOWN}: it leaves the ring, its actors move to other silos.
     */
    public void shutDown() {
        setStatus(this.table, this.siloId, SiloStatus.SHUTTING_DOWN);
        refresh();
    }

    /**
     * Writes this silo's entry as {@code DEAD}: it has left.
     */
    public void leave() {
        setStatus(this.table, this.siloId, SiloStatus.DEAD);
        refresh();
    }

    /**
     * Moves a silo's entry to a status, as failure detection or a leaving silo would.
     * @param table the membership table
     * @param siloId the silo
     * @param status the status; a silo only moves forward, so a move back is ignored
     */
    public static void setStatus(MembershipProvider table, String siloId, SiloStatus status) {
        write(table, siloId, (existing) -> (existing != null && existing.status() != status
                && existing.status().canMoveTo(status)) ? existing.withStatus(status) : null);
    }

    private static void write(MembershipProvider table, String siloId,
            Function<@Nullable SiloEntry, @Nullable SiloEntry> change) {
        for (int attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
            MembershipSnapshot snapshot = table.read();
            SiloEntry next = change.apply(snapshot.silos().get(siloId));
            if (next == null || table.write(next, snapshot.version())) {
                return;
            }
        }
        throw new IllegalStateException("Could not write the membership entry of silo " + siloId + " in "
                + WRITE_ATTEMPTS + " attempts: the table kept changing");
    }

    /**
     * Keeps the current view, ignoring the table's hints, until {@link #releaseViews()}.
     */
    public void holdViews() {
        this.held = true;
    }

    /**
     * Follows the table's hints again, starting with a read now.
     */
    public void releaseViews() {
        this.held = false;
        refresh();
    }

    /**
     * Reads the table and, when it shows another table than the current view, installs and announces it, as a
     * silo's membership agent does: a newer version, a lower one (the table lost its latest writes, as when a
     * replica that missed them took over), other entries at the same version, or another incarnation (it lost its
     * data and grew again, whatever its version). A table read empty (version 0) is not.
     */
    public synchronized void refresh() {
        if (this.closed) {
            return;
        }
        MembershipSnapshot snapshot = this.table.read();
        if (snapshot.version() == 0 || snapshot.showsSameTable(this.current.membership())) {
            return;
        }
        ClusterView view = ClusterView.of(snapshot, this.virtualNodes);
        this.current = view;
        for (Consumer<ClusterView> listener : this.listeners) {
            listener.accept(view);
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

    @Override
    public boolean isServing() {
        if (this.closed) {
            return false;
        }
        SiloEntry own = this.current.membership().silos().get(this.siloId);
        return own != null && (own.status() == SiloStatus.ACTIVE || own.status() == SiloStatus.SHUTTING_DOWN);
    }

    @Override
    public void refreshIfOlderThan(long seenVersion) {
        if (seenVersion > this.current.version()) {
            refresh();
        }
    }

    /**
     * Reads the table when another silo announces a change (a leave), unless this source holds its views: an
     * announcement is a hint, unlike a call that shows a newer view.
     */
    @Override
    public void refreshOnAnnouncement(long announcedVersion) {
        if (!this.held) {
            refreshIfOlderThan(announcedVersion);
        }
    }

    /**
     * Stops watching the table, without writing to it.
     */
    @Override
    public void close() {
        this.closed = true;
        this.watch.close();
    }

    /**
     * Returns a new entry for a silo that is about to join.
     * @param siloId the silo
     * @param address where it listens
     * @param epoch its incarnation
     * @param actorTypes the actor types it hosts
     * @param now the time
     * @return an {@code ACTIVE} entry with no suspicions
     */
    public static SiloEntry entry(String siloId, SiloAddress address, long epoch, Set<String> actorTypes,
            Instant now) {
        return new SiloEntry(siloId, address, now, SiloStatus.ACTIVE, now, epoch, actorTypes, List.of());
    }
}
