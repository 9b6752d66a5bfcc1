package dev.quark.cluster.membership;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Records what a test silo's agent reports to its metrics.
 */
final class RecordingMetrics implements MembershipMetrics {

    final AtomicInteger probesAnswered = new AtomicInteger();

    final AtomicInteger probesMissed = new AtomicInteger();

    final List<String> suspected = new CopyOnWriteArrayList<>();

    final List<String> declaredDead = new CopyOnWriteArrayList<>();

    final List<FenceReason> fences = new CopyOnWriteArrayList<>();

    volatile ClusterViewSource bound;

    @Override
    public void bindMembership(ClusterViewSource source) {
        this.bound = source;
    }

    @Override
    public void probed(String targetSiloId, boolean answered, Duration roundTrip) {
        (answered ? this.probesAnswered : this.probesMissed).incrementAndGet();
    }

    @Override
    public void suspected(String targetSiloId) {
        this.suspected.add(targetSiloId);
    }

    @Override
    public void siloDeclaredDead(String siloId, DeathCause cause) {
        this.declaredDead.add(siloId + ":" + cause);
    }

    @Override
    public void fenced(FenceReason reason) {
        this.fences.add(reason);
    }
}
