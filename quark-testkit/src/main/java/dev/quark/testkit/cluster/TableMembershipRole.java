package dev.quark.testkit.cluster;

import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

import dev.quark.cluster.membership.ClusterViewSource;
import dev.quark.cluster.membership.MembershipProvider;
import dev.quark.cluster.membership.SiloAddress;

/**
 * A silo whose membership is what it writes to the table itself: no heartbeats, no failure detection.
 */
final class TableMembershipRole implements SiloMembershipRole {

    private final TableViewSource views;

    private final String siloId;

    private final SiloAddress address;

    private final long epoch;

    private final Set<String> actorTypes;

    private final Instant startTime;

    TableMembershipRole(MembershipProvider table, String siloId, SiloAddress address, long epoch,
            Set<String> actorTypes, int virtualNodes, Instant startTime) {
        this.views = new TableViewSource(table, siloId, virtualNodes);
        this.siloId = siloId;
        this.address = address;
        this.epoch = epoch;
        this.actorTypes = actorTypes;
        this.startTime = startTime;
    }

    @Override
    public ClusterViewSource views() {
        return this.views;
    }

    @Override
    public void join(Duration timeout) {
        this.views.join(TableViewSource.entry(this.siloId, this.address, this.epoch, this.actorTypes, this.startTime));
    }

    @Override
    public void leave(Supplier<? extends CompletionStage<?>> handOver, Duration timeout) {
        this.views.shutDown();
        try {
            handOver.get().toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
        catch (ExecutionException | TimeoutException ex) {
            // What did not end in time ends when the silo's runtime closes.
        }
        this.views.leave();
        this.views.close();
    }

    @Override
    public void halt() {
        this.views.close();
    }

    @Override
    public void holdViews() {
        this.views.holdViews();
    }

    @Override
    public void releaseViews() {
        this.views.releaseViews();
    }

    @Override
    public long epoch() {
        return this.epoch;
    }

    @Override
    public void pause() {
        throw new UnsupportedOperationException("A silo without a membership agent has no rounds to pause: build the "
                + "test cluster with failureDetection() to pause silos");
    }

    @Override
    public void resume() {
        pause();
    }
}
