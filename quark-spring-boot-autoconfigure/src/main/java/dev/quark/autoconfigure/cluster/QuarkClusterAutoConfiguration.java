package dev.quark.autoconfigure.cluster;

import java.time.Clock;
import java.util.Set;
import java.util.stream.Collectors;

import javax.sql.DataSource;

import dev.quark.autoconfigure.actors.ActorRuntimeBuilderCustomizer;
import dev.quark.autoconfigure.actors.QuarkActorsAutoConfiguration;
import dev.quark.autoconfigure.backend.ConditionalOnQuarkBackend;
import dev.quark.autoconfigure.backend.QuarkBackend;
import dev.quark.autoconfigure.backend.QuarkBackendAutoConfiguration;
import dev.quark.autoconfigure.backend.QuarkChangelog;
import dev.quark.autoconfigure.metrics.QuarkMetricsAutoConfiguration;
import dev.quark.autoconfigure.postgres.QuarkPostgresProperties;
import dev.quark.autoconfigure.redis.QuarkRedisProperties;
import dev.quark.autoconfigure.reminders.QuarkRemindersAutoConfiguration;
import dev.quark.cluster.membership.MembershipMetrics;
import dev.quark.cluster.membership.MembershipProvider;
import dev.quark.cluster.membership.SiloAddress;
import dev.quark.cluster.membership.SiloLifecycleListener;
import dev.quark.cluster.membership.SiloMembership;
import dev.quark.cluster.membership.jdbc.JdbcMembershipProvider;
import dev.quark.cluster.membership.memory.InMemoryMembershipProvider;
import dev.quark.cluster.membership.redis.RedisMembershipProvider;
import dev.quark.cluster.routing.DeadSiloActivations;
import dev.quark.cluster.routing.RoutingMetrics;
import dev.quark.cluster.routing.SiloRouting;
import dev.quark.cluster.transport.PayloadCodec;
import dev.quark.cluster.transport.Transport;
import dev.quark.cluster.transport.jackson.JacksonPayloadCodec;
import dev.quark.jdbc.PostgresNotificationListeners;
import dev.quark.redis.RedisChannelSubscriptions;
import dev.quark.reminder.ReminderBucketOwnership;
import dev.quark.reminder.ReminderRegistry;
import dev.quark.reminder.ReminderTickManager;
import dev.quark.runtime.ActorRuntime;
import dev.quark.runtime.ActorTypeView;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.sql.init.dependency.DatabaseInitializationDependencyConfigurer;
import org.springframework.boot.sql.init.dependency.DependsOnDatabaseInitialization;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.ImportRuntimeHints;
import org.springframework.data.redis.connection.RedisConnectionFactory;

/**
 * Auto-configuration of the cluster, when {@code quark.cluster.enabled=true}: the membership table on the
 * backend {@code quark.cluster.membership.backend} chooses (else {@code quark.backend}), the silo's
 * {@link SiloRouting} plugged into the actor runtime (its actor locator, remote call sender and activation
 * gate), its {@link SiloMembership} agent, the {@link ClusterSiloLifecycle} that joins on start and leaves
 * gracefully on close, and the {@link ReminderBucketOwnership} that splits reminders by the ring.
 * <p>
 * The transport is the in-JVM one by default, on a network shared by the application contexts of the JVM
 * (tests and demos); {@code quark.cluster.transport.type=grpc} chooses the gRPC transport between processes
 * ({@link QuarkClusterGrpcAutoConfiguration}). A {@link Transport} bean of the application's replaces either.
 * <p>
 * With {@code quark.cluster.mode=client} the application is a cluster client instead of a silo
 * ({@link ClusterClientConfiguration}): the same routing, following a view read from the membership table, and
 * no membership agent.
 */
@AutoConfiguration(before = { QuarkActorsAutoConfiguration.class, QuarkRemindersAutoConfiguration.class },
        after = { QuarkBackendAutoConfiguration.class, QuarkMetricsAutoConfiguration.class },
        afterName = { "org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration",
                "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration",
                "org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration" })
@ConditionalOnBooleanProperty(name = "quark.enabled", matchIfMissing = true)
@ConditionalOnBooleanProperty(name = "quark.cluster.enabled")
@EnableConfigurationProperties(QuarkClusterProperties.class)
@Import(ClusterClientConfiguration.class)
@ImportRuntimeHints(PayloadCodecRuntimeHints.class)
public final class QuarkClusterAutoConfiguration {

    /** The area's name in the shared backend wiring. */
    static final String AREA = "cluster.membership";

    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnTransportType(QuarkClusterProperties.TransportType.IN_JVM)
    @ConditionalOnBooleanProperty(name = "quark.cluster.transport.in-jvm", matchIfMissing = true)
    Transport quarkClusterTransport() {
        return JvmWideCluster.network().transport();
    }

    @Bean
    @ConditionalOnMissingBean
    PayloadCodec quarkClusterPayloadCodec(ObjectProvider<JsonMapper> mapper, ObjectProvider<ActorRuntime> runtime,
            QuarkClusterProperties properties) {
        JsonMapper application = mapper.getIfUnique(() -> JsonMapper.builder().build());
        return new JacksonPayloadCodec(PayloadMappers.forFormat(properties.getTransport().getPayloadFormat(),
                application), runtime::getObject, properties.getTransport().getAllowedExceptionPackages());
    }

    @Bean
    @ConditionalOnMissingBean
    SiloRouting quarkSiloRouting(ObjectProvider<Transport> transport, QuarkClusterProperties properties,
            ObjectProvider<Clock> clock, ObjectProvider<RoutingMetrics> metrics) {
        Transport chosen = transport.getIfAvailable();
        if (chosen == null) {
            if (properties.getTransport().getType() == QuarkClusterProperties.TransportType.GRPC) {
                throw new IllegalStateException("quark.cluster.transport.type=grpc but the gRPC transport is not "
                        + "on the class path: add org.springframework.boot:spring-boot-starter-grpc-server (with "
                        + "io.grpc:grpc-netty, io.grpc:grpc-protobuf and io.grpc:grpc-stub) to the application");
            }
            throw new IllegalStateException("quark.cluster.enabled=true but there is no Transport for the silos to "
                    + "talk over: the in-JVM transport is off (quark.cluster.transport.in-jvm=false) and the "
                    + "application defines no Transport bean; set quark.cluster.transport.type=grpc for the gRPC "
                    + "transport between processes.");
        }
        return SiloRouting.builder(properties.siloId(), chosen)
            .clock(clock.getIfUnique(Clock::systemUTC))
            .metrics(metrics.getIfAvailable(() -> RoutingMetrics.NONE))
            .clientLinkIdleTimeout(properties.getTransport().getClientLinkIdleTimeout())
            .build();
    }

    @Bean
    @ConditionalOnMissingBean(name = "quarkClusterRuntimeCustomizer")
    ActorRuntimeBuilderCustomizer quarkClusterRuntimeCustomizer(SiloRouting routing) {
        return routing::configure;
    }

    @Bean
    @ConditionalOnClusterMode(QuarkClusterProperties.Mode.SILO)
    @ConditionalOnMissingBean
    SiloMembership quarkSiloMembership(SiloRouting routing, ActorRuntime runtime, PayloadCodec codec,
            MembershipProvider membership, QuarkClusterProperties properties, ObjectProvider<Clock> clock,
            ObjectProvider<MembershipMetrics> metrics, ObjectProvider<SiloLifecycleListener> listeners) {
        SiloAddress listening = routing.listen(runtime, codec);
        QuarkClusterProperties.Silo silo = properties.getSilo();
        String host = silo.getAdvertisedAddress();
        Integer port = silo.getAdvertisedPort();
        SiloAddress advertised = new SiloAddress((host != null) ? host : listening.host(),
                (port != null) ? port : listening.port());
        Set<String> types = runtime.actorTypes().stream().map(ActorTypeView::name).collect(Collectors.toSet());
        SiloMembership agent = SiloMembership
            .builder(properties.toSettings(advertised, types, routing.transportSecurity()), membership,
                    routing.prober())
            .clock(clock.getIfUnique(Clock::systemUTC))
            .metrics(metrics.getIfAvailable(() -> MembershipMetrics.NONE))
            .build();
        listeners.orderedStream().forEach(agent::addListener);
        routing.follow(agent);
        return agent;
    }

    @Bean
    @ConditionalOnClusterMode(QuarkClusterProperties.Mode.SILO)
    @ConditionalOnMissingBean(name = "quarkDeadSiloActivations")
    SiloLifecycleListener quarkDeadSiloActivations(ActorRuntime runtime) {
        return new DeadSiloActivations(runtime);
    }

    @Bean
    @ConditionalOnClusterMode(QuarkClusterProperties.Mode.SILO)
    @ConditionalOnMissingBean
    ClusterSiloLifecycle quarkClusterSiloLifecycle(SiloMembership agent, SiloRouting routing, ActorRuntime runtime,
            ObjectProvider<ReminderTickManager> reminders, ObjectProvider<ReminderRegistry> registry,
            QuarkClusterProperties properties, ObjectProvider<LateJoin> lateJoins) {
        return new ClusterSiloLifecycle(agent, routing, runtime, reminders.getIfAvailable(), registry.getIfAvailable(),
                properties.getJoinTimeout(), properties.getLeaveTimeout(),
                () -> lateJoins.stream().anyMatch(LateJoin::joinsLater));
    }

    @Bean
    @ConditionalOnClusterMode(QuarkClusterProperties.Mode.SILO)
    @ConditionalOnMissingBean
    ReminderBucketOwnership quarkClusterReminderOwnership(SiloMembership agent) {
        return new RingReminderOwnership(agent.settings().siloId(), agent);
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnQuarkBackend(area = AREA, backend = QuarkBackend.MEMORY)
    static class InMemoryMembershipConfiguration {

        @Bean
        @ConditionalOnMissingBean(MembershipProvider.class)
        InMemoryMembershipProvider quarkMembershipProvider(QuarkClusterProperties properties) {
            return JvmWideCluster.membership(properties.getName());
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnQuarkBackend(area = AREA, backend = QuarkBackend.REDIS)
    static class RedisMembershipConfiguration {

        @Bean
        @ConditionalOnMissingBean(MembershipProvider.class)
        RedisMembershipProvider quarkMembershipProvider(RedisConnectionFactory connectionFactory,
                QuarkRedisProperties redis, QuarkClusterProperties properties,
                ObjectProvider<RedisChannelSubscriptions> subscriptions) {
            // The watches subscribe on the node's shared subscription connection of the factory, beside the jobs'
            // and durable tasks' wake-ups.
            RedisChannelSubscriptions shared = subscriptions.getIfUnique();
            return (shared != null)
                    ? new RedisMembershipProvider(connectionFactory, redis.getKeyPrefix(), properties.getName(),
                            properties.getSiloTtl(), shared)
                    : new RedisMembershipProvider(connectionFactory, redis.getKeyPrefix(), properties.getName(),
                            properties.getSiloTtl());
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnQuarkBackend(area = AREA, backend = QuarkBackend.POSTGRES)
    @Import(DatabaseInitializationDependencyConfigurer.class)
    static class JdbcMembershipConfiguration {

        @Bean
        @ConditionalOnMissingBean(MembershipProvider.class)
        @DependsOnDatabaseInitialization
        JdbcMembershipProvider quarkMembershipProvider(DataSource dataSource, QuarkPostgresProperties postgres,
                QuarkClusterProperties properties, ObjectProvider<PostgresNotificationListeners> listeners) {
            // The watch subscribes on the data source's shared listening connection, beside the jobs' and durable
            // tasks' wake-ups.
            return new JdbcMembershipProvider(dataSource, postgres.tablePrefix(), properties.getName(),
                    listeners.getIfUnique());
        }

        @Bean
        @ConditionalOnMissingBean(name = "quarkClusterMembershipChangelog")
        QuarkChangelog quarkClusterMembershipChangelog() {
            return new QuarkChangelog(AREA, JdbcMembershipProvider.CHANGELOG);
        }
    }
}
