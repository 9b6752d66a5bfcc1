package dev.quark.autoconfigure.cluster;

import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.BeanFactoryAware;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.ApplicationListener;
import org.springframework.grpc.server.lifecycle.GrpcServerLifecycle;
import org.springframework.grpc.server.lifecycle.GrpcServerStartedEvent;

/**
 * Makes a silo on the gRPC transport join the cluster when Spring Boot's gRPC server has started listening,
 * rather than when its {@link ClusterSiloLifecycle} starts: the server's lifecycle starts last of all, seconds
 * later on a busy machine, and a silo written {@code ACTIVE} before it listens misses its peers' probes and is
 * declared dead while it starts. Only the start of the server that serves the transport counts: one listening
 * on a network port, the configured {@code spring.grpc.server.port} when that is fixed; an in-process server
 * (port -1) or another gRPC server on another port starting does not make the silo join. Without a gRPC
 * server lifecycle in the context (the application serves the transport some other way, for instance Spring
 * gRPC's servlet mode, where the servlet container serves it), the silo joins when its lifecycle starts, as
 * with any transport.
 * <p>
 * A cluster client on the gRPC transport waits for the same start before it reads the membership table
 * ({@link ClusterClientLifecycle#connect()}), so that it routes no call before the server at which the silos
 * answer listens: the answers to calls sent earlier would find no server, and the calls would wait for their
 * timeout.
 */
final class JoinWhenGrpcServerStarts implements LateJoin, ApplicationListener<GrpcServerStartedEvent>, BeanFactoryAware {

    private final ObjectProvider<ClusterSiloLifecycle> silo;

    private final ObjectProvider<ClusterClientLifecycle> client;

    private final @Nullable Integer serverPort;

    private @Nullable ListableBeanFactory beans;

    /**
     * @param silo the silo to join
     * @param client the cluster client to connect
     * @param serverPort the port the gRPC server serving the transport was configured with, {@code null} or
     * 0 when not fixed
     */
    JoinWhenGrpcServerStarts(ObjectProvider<ClusterSiloLifecycle> silo, ObjectProvider<ClusterClientLifecycle> client,
            @Nullable Integer serverPort) {
        this.silo = silo;
        this.client = client;
        this.serverPort = serverPort;
    }

    @Override
    public void setBeanFactory(BeanFactory beanFactory) {
        this.beans = (beanFactory instanceof ListableBeanFactory listable) ? listable : null;
    }

    @Override
    public boolean joinsLater() {
        ListableBeanFactory factory = this.beans;
        return factory != null && factory.getBeanNamesForType(GrpcServerLifecycle.class, false, false).length > 0;
    }

    @Override
    public void onApplicationEvent(GrpcServerStartedEvent event) {
        if (!servesTheTransport(event.getPort())) {
            return;
        }
        ClusterSiloLifecycle lifecycle = this.silo.getIfAvailable();
        if (lifecycle != null) {
            lifecycle.join();
        }
        ClusterClientLifecycle clientLifecycle = this.client.getIfAvailable();
        if (clientLifecycle != null) {
            clientLifecycle.connect();
        }
    }

    /**
     * Tells whether a server that started listening on a port is the one serving the transport.
     * @param port the port it listens on, -1 for an in-process server
     * @return {@code true} for a network port, the configured one when that is fixed
     */
    boolean servesTheTransport(int port) {
        Integer configured = this.serverPort;
        return port > 0 && (configured == null || configured <= 0 || configured == port);
    }
}
