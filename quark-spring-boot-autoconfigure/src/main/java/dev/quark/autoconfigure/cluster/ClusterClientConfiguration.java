package dev.quark.autoconfigure.cluster;

import dev.quark.autoconfigure.backend.BackendSelection;
import dev.quark.autoconfigure.backend.QuarkBackendResolver;
import dev.quark.cluster.client.ClientMembership;
import dev.quark.cluster.client.ClientMetrics;
import dev.quark.cluster.membership.MembershipProvider;
import dev.quark.cluster.membership.memory.InMemoryMembershipProvider;
import dev.quark.cluster.routing.SiloRouting;
import dev.quark.cluster.transport.PayloadCodec;
import dev.quark.cluster.transport.Transport;
import dev.quark.cluster.transport.injvm.InJvmTransport;
import dev.quark.reminder.ReminderBucketOwnership;
import dev.quark.reminder.ReminderBucketSet;
import dev.quark.runtime.ActorRuntime;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/**
 * The cluster client, when {@code quark.cluster.mode=client}: the application's {@link SiloRouting} (built by
 * {@link QuarkClusterAutoConfiguration} as a silo's) follows a {@link ClientMembership} that only reads the
 * membership table, so that {@code ActorRefFactory} calls reach the silos' actors exactly as a silo's calls do,
 * while the application never appears in the table or on the ring. Its transport listens (the silos send their
 * answers to its address, which every call carries), but it refuses every call and activation sent to it. It
 * owns no reminder bucket. The table must be shared with the silos: a client on another transport than the
 * in-JVM one with the in-memory table fails the start, and so does a silo with the client's id in the table when it
 * starts. On the gRPC transport served by Spring Boot's gRPC server, the client reads the table, and so routes
 * its first calls, only once that server listens ({@link JoinWhenGrpcServerStarts}).
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnClusterMode(QuarkClusterProperties.Mode.CLIENT)
class ClusterClientConfiguration {

    @Bean
    @ConditionalOnMissingBean
    ClientMembership quarkClientMembership(SiloRouting routing, ActorRuntime runtime, PayloadCodec codec,
            ObjectProvider<MembershipProvider> membership, ObjectProvider<Transport> transport,
            QuarkClusterProperties properties, Environment environment, ObjectProvider<ClientMetrics> metrics) {
        MembershipProvider table = membership.getIfAvailable();
        if (table == null) {
            throw new IllegalStateException("quark.cluster.mode=client but there is no membership table to read the "
                    + "silos from: set quark.cluster.membership.backend (or quark.backend) to the silos' backend, "
                    + "redis or postgres, or define a MembershipProvider bean");
        }
        if (table instanceof InMemoryMembershipProvider && !(transport.getIfAvailable() instanceof InJvmTransport)) {
            BackendSelection backend = new QuarkBackendResolver(environment).resolve(QuarkClusterAutoConfiguration.AREA);
            throw new InvalidConfigurationPropertyValueException(OnClusterModeCondition.PROPERTY, "client",
                    "A cluster client reads the silos from their membership table, so it must share it with them, but "
                            + "its table is in memory (" + backend.setting() + "), which only the contexts of one JVM "
                            + "share: set quark.cluster.membership.backend to the silos' backend, redis or postgres");
        }
        routing.listen(runtime, codec);
        ClientMembership client = new ClientMembership(routing.siloId(), table, properties.getVirtualNodes(),
                properties.getTableRefreshInterval());
        metrics.ifAvailable(client::metrics);
        routing.follow(client);
        return client;
    }

    @Bean
    @ConditionalOnMissingBean
    ClusterClientLifecycle quarkClusterClientLifecycle(ClientMembership membership, SiloRouting routing,
            QuarkClusterProperties properties, ObjectProvider<LateJoin> lateJoins) {
        return new ClusterClientLifecycle(membership, routing, properties.getLeaveTimeout(),
                () -> lateJoins.stream().anyMatch(LateJoin::joinsLater));
    }

    @Bean
    @ConditionalOnMissingBean
    ReminderBucketOwnership quarkClusterReminderOwnership() {
        return ReminderBucketSet::none;
    }
}
