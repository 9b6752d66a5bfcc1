package dev.quark.cluster.membership;

import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

import org.jspecify.annotations.Nullable;

/**
 * One test silo's connection to the shared membership table, which a test can cut: while cut, every call
 * fails as an unreachable store does, and change notifications are lost. A test can also make writes fail, and
 * hook into calls to interleave what other silos do.
 */
final class TableConnection implements MembershipProvider {

    private final MembershipProvider table;

    private final List<Runnable> callObservers = new CopyOnWriteArrayList<>();

    private volatile boolean reachable = true;

    private volatile boolean writable = true;

    private volatile boolean hintsMuted;

    private volatile @Nullable WriteHook beforeWrite;

    TableConnection(MembershipProvider table) {
        this.table = table;
    }

    void cut() {
        this.reachable = false;
    }

    void restore() {
        this.reachable = true;
    }

    /**
     * Makes writes and removes fail from now on, as a store that refuses them does, while reads and heartbeats
     * still work.
     */
    void failWrites() {
        this.writable = false;
    }

    /**
     * Runs an action, once, just before the first write of an entry that matches, between the silo's read and
     * its write: what another silo does then happens between the two.
     */
    void beforeWrite(Predicate<SiloEntry> entries, Runnable action) {
        this.beforeWrite = new WriteHook(entries, action);
    }

    /**
     * Runs an observer at the start of every call.
     */
    void onEveryCall(Runnable observer) {
        this.callObservers.add(observer);
    }

    /**
     * Loses every change notification from now on, as a provider without notifications (or a lost pub/sub
     * connection) does, while reads and writes still work.
     */
    void muteHints() {
        this.hintsMuted = true;
    }

    @Override
    public MembershipSnapshot read() {
        check();
        return this.table.read();
    }

    @Override
    public boolean write(SiloEntry entry, long expectedVersion) {
        checkWritable();
        WriteHook hook = this.beforeWrite;
        if (hook != null && hook.entries().test(entry)) {
            this.beforeWrite = null;
            hook.action().run();
        }
        return this.table.write(entry, expectedVersion);
    }

    @Override
    public boolean remove(String siloId, long expectedVersion) {
        checkWritable();
        return this.table.remove(siloId, expectedVersion);
    }

    @Override
    public boolean heartbeat(String siloId, long epoch, Instant at) {
        check();
        return this.table.heartbeat(siloId, epoch, at);
    }

    @Override
    public Watch watch(Runnable listener) {
        return this.table.watch(() -> {
            if (this.reachable && !this.hintsMuted) {
                listener.run();
            }
        });
    }

    private void check() {
        this.callObservers.forEach(Runnable::run);
        if (!this.reachable) {
            throw new IllegalStateException("Membership store unreachable (cut by the test)");
        }
    }

    private void checkWritable() {
        check();
        if (!this.writable) {
            throw new IllegalStateException("Membership store refuses writes (by the test)");
        }
    }

    private record WriteHook(Predicate<SiloEntry> entries, Runnable action) {
    }
}
