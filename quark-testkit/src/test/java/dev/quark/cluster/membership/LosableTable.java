package dev.quark.cluster.membership;

import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.quark.cluster.membership.memory.InMemoryMembershipProvider;

/**
 * A membership table whose backend loses data while silos use it: wiped (Redis restarted without persistence,
 * {@code FLUSHDB}), or failed over to a replica that missed the latest writes. Neither is hinted to watchers:
 * silos find out by reading.
 */
final class LosableTable implements MembershipProvider {

    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();

    private volatile InMemoryMembershipProvider backend;

    LosableTable() {
        this.backend = listenedTo(new InMemoryMembershipProvider());
    }

    /**
     * Loses everything: the table reads as empty, and its next write starts a new incarnation.
     */
    void wipe() {
        this.backend.clear();
    }

    /**
     * Returns the table as an asynchronous replica has it now.
     */
    MembershipSnapshot replicate() {
        return this.backend.read();
    }

    /**
     * Fails over to a replica that holds what {@link #replicate()} returned: every write since is lost.
     */
    void failOverTo(MembershipSnapshot replica) {
        this.backend = listenedTo(new InMemoryMembershipProvider(replica));
    }

    private InMemoryMembershipProvider listenedTo(InMemoryMembershipProvider table) {
        table.watch(() -> this.listeners.forEach(Runnable::run));
        return table;
    }

    @Override
    public MembershipSnapshot read() {
        return this.backend.read();
    }

    @Override
    public boolean write(SiloEntry entry, long expectedVersion) {
        return this.backend.write(entry, expectedVersion);
    }

    @Override
    public boolean remove(String siloId, long expectedVersion) {
        return this.backend.remove(siloId, expectedVersion);
    }

    @Override
    public boolean heartbeat(String siloId, long epoch, Instant at) {
        return this.backend.heartbeat(siloId, epoch, at);
    }

    @Override
    public Watch watch(Runnable listener) {
        this.listeners.add(listener);
        return () -> this.listeners.remove(listener);
    }
}
