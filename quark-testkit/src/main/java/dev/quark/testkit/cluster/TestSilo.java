package dev.quark.testkit.cluster;

import dev.quark.actor.Actor;
import dev.quark.actor.ActorRefFactory;
import dev.quark.cluster.membership.ClusterViewSource;
import dev.quark.cluster.membership.SiloAddress;
import dev.quark.cluster.routing.SiloRouting;
import dev.quark.reminder.ReminderTickManager;
import dev.quark.runtime.ActorRuntime;
import org.jspecify.annotations.Nullable;

/**
 * One silo of a {@link TestCluster}: its own runtime, with its own activations, its routing and its view of
 * membership. Calls made through {@link #get} start on this silo and go wherever their actor lives.
 */
public final class TestSilo implements ActorRefFactory {

    private final int index;

    private final String siloId;

    private final ActorRuntime runtime;

    private final SiloRouting routing;

    private final SiloMembershipRole membership;

    private final SiloAddress address;

    private final @Nullable PausableTransport pausableTransport;

    private volatile boolean running = true;

    private volatile @Nullable ReminderTickManager reminders;

    TestSilo(int index, String siloId, ActorRuntime runtime, SiloRouting routing, SiloMembershipRole membership,
            SiloAddress address, @Nullable PausableTransport pausableTransport) {
        this.index = index;
        this.pausableTransport = pausableTransport;
        this.siloId = siloId;
        this.runtime = runtime;
        this.routing = routing;
        this.membership = membership;
        this.address = address;
    }

    @Override
    public <T extends Actor> T get(Class<T> contract, String id) {
        return this.runtime.get(contract, id);
    }

    /**
     * Returns the silo's position in its cluster, which {@link TestCluster#silo(int)} takes.
     * @return the index, from 0
     */
    public int index() {
        return this.index;
    }

    /**
     * Returns the silo's id.
     * @return {@code silo-<index>}
     */
    public String siloId() {
        return this.siloId;
    }

    /**
     * Returns the silo's runtime: its activations, its inbound calls.
     * @return the runtime
     */
    public ActorRuntime runtime() {
        return this.runtime;
    }

    /**
     * Returns the silo's routing: the view it routes with, its prober.
     * @return the routing
     */
    public SiloRouting routing() {
        return this.routing;
    }

    /**
     * Returns the silo's view of membership: its {@link TableViewSource}, or its membership agent when the
     * cluster detects failures.
     * @return the view source
     */
    public ClusterViewSource views() {
        return this.membership.views();
    }

    /**
     * Keeps this silo on its current view of membership while the others move on, to test calls from a silo
     * that has not caught up; calls from silos with newer views still make it read the table. Only without
     * failure detection.
     * @throws UnsupportedOperationException when the cluster detects failures
     */
    public void holdViews() {
        this.membership.holdViews();
    }

    /**
     * Follows membership again, starting with a read of the table now.
     */
    public void releaseViews() {
        this.membership.releaseViews();
    }

    /**
     * Returns the silo's reminder tick manager, which fires the reminder buckets its view of the ring gives it.
     * @return the tick manager
     * @throws IllegalStateException when the cluster was built without {@link TestCluster.Builder#reminders()}
     */
    public ReminderTickManager reminders() {
        ReminderTickManager manager = this.reminders;
        if (manager == null) {
            throw new IllegalStateException("Silo " + this.siloId + " fires no reminders: build the test cluster with "
                    + "TestCluster.builder().reminders()");
        }
        return manager;
    }

    void reminders(ReminderTickManager manager) {
        this.reminders = manager;
    }

    /** The silo's tick manager, or {@code null} without reminders. */
    @Nullable ReminderTickManager remindersOrNull() {
        return this.reminders;
    }

    /**
     * Returns the incarnation the silo knows itself by: the epoch it joined with, or a later one once it learnt it
     * was declared dead and became active again (while it rejoins, its new entry in the table may already carry the
     * next one).
     * @return the epoch
     */
    public long epoch() {
        return this.membership.epoch();
    }

    SiloMembershipRole membership() {
        return this.membership;
    }

    /**
     * Returns where the silo listens on the cluster's in-JVM network.
     * @return the address
     */
    public SiloAddress address() {
        return this.address;
    }

    /**
     * Returns whether the silo runs: it was neither stopped nor killed.
     * @return {@code true} while it runs
     */
    public boolean isRunning() {
        return this.running;
    }

    void stopped() {
        this.running = false;
    }

    @Override
    public String toString() {
        return "TestSilo[" + this.siloId + (this.running ? "" : ", stopped") + "]";
    }

    /** The silo's transport as the cluster pauses it, {@code null} on the in-JVM network (isolated instead). */
    @Nullable PausableTransport pausableTransport() {
        return this.pausableTransport;
    }
}
