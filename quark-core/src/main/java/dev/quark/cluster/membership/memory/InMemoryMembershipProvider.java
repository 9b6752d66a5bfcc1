package dev.quark.cluster.membership.memory;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.quark.cluster.membership.MembershipProvider;
import dev.quark.cluster.membership.MembershipSnapshot;
import dev.quark.cluster.membership.SiloEntry;
import dev.quark.cluster.membership.SiloStatus;
import dev.quark.cluster.membership.Suspicion;
import org.jspecify.annotations.Nullable;

/**
 * A membership table in this JVM's memory: one instance is the table of one cluster, shared by every silo
 * of that cluster in the JVM (tests, the test kit's test cluster). Listeners are told synchronously after
 * every change, on the writer's thread. Like the other providers, it keeps instants to the millisecond. The
 * incarnation is a field beside the version; {@link #clear()} loses the table as a backend that lost its data
 * does, {@link #restore} loses its latest writes as a failover to a replica that missed them does.
 */
public class InMemoryMembershipProvider implements MembershipProvider {

    private final Object lock = new Object();

    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();

    private MembershipSnapshot snapshot;

    /**
     * Creates an empty table.
     */
    public InMemoryMembershipProvider() {
        this(MembershipSnapshot.EMPTY);
    }

    /**
     * Creates a table that starts as a snapshot, incarnation and version included: for tests of what silos do
     * when a table comes back from a backup, or from a replica that missed the latest writes.
     * @param initial the table's content
     */
    public InMemoryMembershipProvider(MembershipSnapshot initial) {
        this.snapshot = Objects.requireNonNull(initial, "initial must not be null");
    }

    @Override
    public MembershipSnapshot read() {
        synchronized (this.lock) {
            return this.snapshot;
        }
    }

    @Override
    public boolean write(SiloEntry entry, long expectedVersion) {
        Objects.requireNonNull(entry, "entry must not be null");
        synchronized (this.lock) {
            if (this.snapshot.version() != expectedVersion) {
                return false;
            }
            Map<String, SiloEntry> silos = new TreeMap<>(this.snapshot.silos());
            silos.put(entry.siloId(), keepingLaterHeartbeat(toMillis(entry), silos.get(entry.siloId())));
            this.snapshot = new MembershipSnapshot(incarnation(), expectedVersion + 1, silos);
        }
        notifyListeners();
        return true;
    }

    @Override
    public boolean remove(String siloId, long expectedVersion) {
        Objects.requireNonNull(siloId, "siloId must not be null");
        synchronized (this.lock) {
            if (this.snapshot.version() != expectedVersion) {
                return false;
            }
            Map<String, SiloEntry> silos = new TreeMap<>(this.snapshot.silos());
            silos.remove(siloId);
            this.snapshot = new MembershipSnapshot(incarnation(), expectedVersion + 1, silos);
        }
        notifyListeners();
        return true;
    }

    @Override
    public boolean heartbeat(String siloId, long epoch, Instant at) {
        Objects.requireNonNull(at, "at must not be null");
        synchronized (this.lock) {
            SiloEntry entry = this.snapshot.silos().get(siloId);
            if (entry == null || entry.epoch() != epoch || entry.status() == SiloStatus.DEAD) {
                return false;
            }
            Map<String, SiloEntry> silos = new TreeMap<>(this.snapshot.silos());
            silos.put(siloId, entry.withLastHeartbeat(at.truncatedTo(ChronoUnit.MILLIS)));
            this.snapshot = new MembershipSnapshot(this.snapshot.incarnation(), this.snapshot.version(), silos);
            return true;
        }
    }

    /**
     * Forgets the whole table, incarnation and version included, as a backend that lost its data does (Redis
     * restarted without persistence, a flush); watchers are not told, and the next write starts a new
     * incarnation. For tests.
     */
    public void clear() {
        synchronized (this.lock) {
            this.snapshot = MembershipSnapshot.EMPTY;
        }
    }

    /**
     * Replaces the whole table by an earlier snapshot of it, incarnation and version included, as a backend that
     * failed over to a replica that had not received the latest writes does; watchers are not told, and the next
     * write expects the snapshot's version. For tests.
     * @param earlier the table as it was
     */
    public void restore(MembershipSnapshot earlier) {
        Objects.requireNonNull(earlier, "earlier must not be null");
        synchronized (this.lock) {
            this.snapshot = earlier;
        }
    }

    @Override
    public Watch watch(Runnable listener) {
        Objects.requireNonNull(listener, "listener must not be null");
        this.listeners.add(listener);
        return () -> this.listeners.remove(listener);
    }

    /** The incarnation a write keeps, or the one the first write stores; called under the lock. */
    private String incarnation() {
        String current = this.snapshot.incarnation();
        return current.isEmpty() ? MembershipSnapshot.newIncarnation() : current;
    }

    private static SiloEntry keepingLaterHeartbeat(SiloEntry written, @Nullable SiloEntry stored) {
        if (stored != null && stored.epoch() == written.epoch()
                && stored.lastHeartbeat().isAfter(written.lastHeartbeat())) {
            return written.withLastHeartbeat(stored.lastHeartbeat());
        }
        return written;
    }

    private static SiloEntry toMillis(SiloEntry entry) {
        List<Suspicion> suspicions = entry.suspicions()
            .stream()
            .map((vote) -> new Suspicion(vote.suspectingSiloId(), vote.at().truncatedTo(ChronoUnit.MILLIS)))
            .toList();
        return new SiloEntry(entry.siloId(), entry.address(), entry.startTime().truncatedTo(ChronoUnit.MILLIS),
                entry.status(), entry.lastHeartbeat().truncatedTo(ChronoUnit.MILLIS), entry.epoch(),
                entry.actorTypes(), suspicions, entry.transportSecurity());
    }

    private void notifyListeners() {
        for (Runnable listener : this.listeners) {
            listener.run();
        }
    }
}
