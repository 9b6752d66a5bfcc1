package dev.quark.autoconfigure.metrics;

import dev.quark.autoconfigure.actors.QuarkActorsAutoConfiguration;
import dev.quark.autoconfigure.cluster.ConditionalOnTransportType;
import dev.quark.autoconfigure.cluster.QuarkClusterProperties;
import dev.quark.cluster.client.ClientMetrics;
import dev.quark.cluster.membership.MembershipMetrics;
import dev.quark.cluster.routing.RoutingMetrics;
import dev.quark.cluster.transport.grpc.GrpcTransportMetrics;
import dev.quark.eventsourcing.EventStoreMetrics;
import dev.quark.eventsourcing.subscription.EventSubscriptionMetrics;
import dev.quark.reminder.ReminderMetrics;
import dev.quark.runtime.ActorMetrics;
import io.micrometer.core.instrument.MeterRegistry;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.context.annotation.Bean;

/**
 * Auto-configuration of Quark's Micrometer metrics, when the application has a {@link MeterRegistry}.
 */
@AutoConfiguration(before = QuarkActorsAutoConfiguration.class, after = { MetricsAutoConfiguration.class,
        CompositeMeterRegistryAutoConfiguration.class, SimpleMetricsExportAutoConfiguration.class })
@ConditionalOnBooleanProperty(name = "quark.enabled", matchIfMissing = true)
@ConditionalOnClass({ MeterRegistry.class, MetricsAutoConfiguration.class })
@ConditionalOnBean(MeterRegistry.class)
public final class QuarkMetricsAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    ActorMetrics quarkActorMetrics(MeterRegistry registry) {
        return new MicrometerActorMetrics(registry);
    }

    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnBooleanProperty(name = "quark.cluster.enabled")
    MembershipMetrics quarkMembershipMetrics(MeterRegistry registry) {
        return new MicrometerMembershipMetrics(registry);
    }

    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnBooleanProperty(name = "quark.cluster.enabled")
    RoutingMetrics quarkRoutingMetrics(MeterRegistry registry) {
        return new MicrometerRoutingMetrics(registry);
    }

    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnBooleanProperty(name = "quark.cluster.enabled")
    @ConditionalOnTransportType(QuarkClusterProperties.TransportType.GRPC)
    @ConditionalOnClass(name = "io.grpc.BindableService")
    GrpcTransportMetrics quarkGrpcTransportMetrics(MeterRegistry registry) {
        return new MicrometerGrpcTransportMetrics(registry);
    }

    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnBooleanProperty(name = "quark.cluster.enabled")
    @ConditionalOnProperty(name = "quark.cluster.mode", havingValue = "client")
    ClientMetrics quarkClientMetrics(MeterRegistry registry) {
        return new MicrometerClientMetrics(registry);
    }

    @Bean
    @ConditionalOnMissingBean
    ReminderMetrics quarkReminderMetrics(MeterRegistry registry) {
        return new MicrometerReminderMetrics(registry);
    }

    @Bean
    @ConditionalOnMissingBean
    EventStoreMetrics quarkEventStoreMetrics(MeterRegistry registry) {
        return new MicrometerEventStoreMetrics(registry);
    }

    @Bean
    @ConditionalOnMissingBean
    EventSubscriptionMetrics quarkEventSubscriptionMetrics(MeterRegistry registry) {
        return new MicrometerEventSubscriptionMetrics(registry);
    }
}
