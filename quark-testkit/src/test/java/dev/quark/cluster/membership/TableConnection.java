package dev.quark.cluster.membership;

import java.time.Instant;

/**
 * One test silo's connection to the shared membership table, which a test can cut: while cut, every call
 * fails as an unreachable store does, and change notifications are lost.
 */
final class TableConnection implements MembershipProvider {

    private final MembershipProvider table;

    private volatile boolean reachable = true;

    private volatile boolean hintsMuted;

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
        check();
        return this.table.write(entry, expectedVersion);
    }

    @Override
    public boolean remove(String siloId, long expectedVersion) {
        check();
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
        if (!this.reachable) {
            throw new IllegalStateException("Membership store unreachable (cut by the test)");
        }
    }
}
