package dev.quark.autoconfigure.cluster;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.ApplicationListener;
import org.springframework.grpc.server.lifecycle.GrpcServerShutdownEvent;

/**
 * Makes the silo leave the cluster when Spring Boot's gRPC server starts shutting down, before it stops taking
 * calls: the server's lifecycle stops first of all, and a silo must still receive its peers' messages while it
 * hands its actors over. Leaving closes the transport, which ends the peers' streams, so the server's graceful
 * shutdown does not wait for them.
 * <p>
 * A cluster client stops at the same moment, for the same reasons: the answers to its calls in flight arrive at
 * its gRPC server, and the silos hold streams to it that would keep the server's graceful shutdown waiting its
 * whole grace period. It waits for its calls in flight (at most the leave timeout), then closes its routing and
 * transport, which ends those streams.
 */
final class LeaveBeforeGrpcServerShutdown implements ApplicationListener<GrpcServerShutdownEvent> {

    private final ObjectProvider<ClusterSiloLifecycle> silo;

    private final ObjectProvider<ClusterClientLifecycle> client;

    LeaveBeforeGrpcServerShutdown(ObjectProvider<ClusterSiloLifecycle> silo,
            ObjectProvider<ClusterClientLifecycle> client) {
        this.silo = silo;
        this.client = client;
    }

    @Override
    public void onApplicationEvent(GrpcServerShutdownEvent event) {
        ClusterSiloLifecycle lifecycle = this.silo.getIfAvailable();
        if (lifecycle != null) {
            lifecycle.stop();
        }
        ClusterClientLifecycle clientLifecycle = this.client.getIfAvailable();
        if (clientLifecycle != null) {
            clientLifecycle.stop();
        }
    }
}
