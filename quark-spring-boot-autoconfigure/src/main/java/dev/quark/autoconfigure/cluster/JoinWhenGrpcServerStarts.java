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
 * declared dead while it starts. Without a gRPC server lifecycle in the context (the application serves the
 * transport some other way), the silo joins when its lifecycle starts, as with any transport.
 */
final class JoinWhenGrpcServerStarts implements LateJoin, ApplicationListener<GrpcServerStartedEvent>, BeanFactoryAware {

    private final ObjectProvider<ClusterSiloLifecycle> silo;

    private @Nullable ListableBeanFactory beans;

    JoinWhenGrpcServerStarts(ObjectProvider<ClusterSiloLifecycle> silo) {
        this.silo = silo;
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
        ClusterSiloLifecycle lifecycle = this.silo.getIfAvailable();
        if (lifecycle != null) {
            lifecycle.join();
        }
    }
}
