package dev.quark.autoconfigure.cluster;

import io.grpc.BindableService;
import io.grpc.ServerServiceDefinition;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.context.ApplicationListener;
import org.springframework.grpc.server.lifecycle.GrpcServerLifecycle;
import org.springframework.grpc.server.lifecycle.GrpcServerStartedEvent;

/**
 * Opens the silo's join when Spring Boot's gRPC server that serves the transport between silos has started
 * listening ({@link GrpcServerStartedEvent}): the server's lifecycle starts last of all, after the silo's own,
 * so joining on the silo's start would announce an address that does not accept connections yet. When the
 * context has no gRPC server lifecycle (the application starts its server otherwise), the gate is open.
 */
final class JoinAfterGrpcServerStarts implements SiloJoinGate, ApplicationListener<GrpcServerStartedEvent> {

    private final String serviceName;

    private final ListableBeanFactory beans;

    private final Object lock = new Object();

    /** Guarded by the lock. */
    private boolean open;

    /** Guarded by the lock. */
    private @Nullable Runnable waiting;

    JoinAfterGrpcServerStarts(BindableService service, ListableBeanFactory beans) {
        this.serviceName = service.bindService().getServiceDescriptor().getName();
        this.beans = beans;
    }

    @Override
    public void whenOpen(Runnable join) {
        synchronized (this.lock) {
            boolean serverComing = this.beans.getBeanNamesForType(GrpcServerLifecycle.class, true, false).length > 0;
            if (!this.open && serverComing) {
                this.waiting = join;
                return;
            }
        }
        join.run();
    }

    @Override
    public void onApplicationEvent(GrpcServerStartedEvent event) {
        boolean serves = event.getServer().getServices().stream()
            .map(ServerServiceDefinition::getServiceDescriptor)
            .anyMatch((descriptor) -> this.serviceName.equals(descriptor.getName()));
        if (!serves || event.getPort() <= 0) {
            return;
        }
        Runnable join;
        synchronized (this.lock) {
            this.open = true;
            join = this.waiting;
            this.waiting = null;
        }
        if (join != null) {
            join.run();
        }
    }
}
