package dev.quark.autoconfigure.cluster;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.ApplicationListener;
import org.springframework.grpc.server.lifecycle.GrpcServerShutdownEvent;

/**
 * Makes the silo leave the cluster when Spring Boot's gRPC server starts shutting down, before it stops taking
 * calls: the server's lifecycle stops first of all, and a silo must still receive its peers' messages while it
 * hands its actors over. Leaving closes the transport, which ends the peers' streams, so the server's graceful
 * shutdown does not wait for them.
 */
final class LeaveBeforeGrpcServerShutdown implements ApplicationListener<GrpcServerShutdownEvent> {

    private final ObjectProvider<ClusterSiloLifecycle> silo;

    LeaveBeforeGrpcServerShutdown(ObjectProvider<ClusterSiloLifecycle> silo) {
        this.silo = silo;
    }

    @Override
    public void onApplicationEvent(GrpcServerShutdownEvent event) {
        ClusterSiloLifecycle lifecycle = this.silo.getIfAvailable();
        if (lifecycle != null) {
            lifecycle.stop();
        }
    }
}
