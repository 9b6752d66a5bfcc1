package dev.quark.autoconfigure.cluster;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.quark.cluster.client.ClientMembership;
import dev.quark.cluster.routing.SiloRouting;

import org.springframework.context.SmartLifecycle;

/**
 * Starts reading the membership table when a cluster client's context starts (in the phase a silo joins in:
 * after the actor runtime) and, when it stops, waits at most the leave timeout for the answers to the calls in
 * flight, then stops reading and closes the routing. There is nothing to leave: a client is not a member.
 */
final class ClusterClientLifecycle implements SmartLifecycle {

    private final ClientMembership membership;

    private final SiloRouting routing;

    private final Duration leaveTimeout;

    private final AtomicBoolean started = new AtomicBoolean();

    private final AtomicBoolean stopped = new AtomicBoolean();

    ClusterClientLifecycle(ClientMembership membership, SiloRouting routing, Duration leaveTimeout) {
        this.membership = membership;
        this.routing = routing;
        this.leaveTimeout = leaveTimeout;
    }

    @Override
    public void start() {
        if (this.started.compareAndSet(false, true)) {
            this.membership.start();
        }
    }

    @Override
    public void stop() {
        if (!this.started.get() || !this.stopped.compareAndSet(false, true)) {
            return;
        }
        try {
            this.routing.awaitIdle(this.leaveTimeout);
        }
        finally {
            this.membership.close();
            this.routing.close();
        }
    }

    @Override
    public boolean isRunning() {
        return this.started.get() && !this.stopped.get();
    }

    @Override
    public int getPhase() {
        return ClusterSiloLifecycle.PHASE;
    }
}
