package dev.quark.autoconfigure.cluster;

import dev.quark.autoconfigure.actors.QuarkActorsAutoConfiguration;
import dev.quark.autoconfigure.backend.QuarkBackendAutoConfiguration;
import dev.quark.autoconfigure.health.ClusterHealthIndicator;
import dev.quark.autoconfigure.health.QuarkClusterHealthContributorAutoConfiguration;
import dev.quark.autoconfigure.metrics.MicrometerMembershipMetrics;
import dev.quark.autoconfigure.metrics.MicrometerRoutingMetrics;
import dev.quark.autoconfigure.metrics.QuarkMetricsAutoConfiguration;
import dev.quark.cluster.membership.MembershipMetrics;
import dev.quark.cluster.routing.RoutingMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;

class ClusterOperationsTests {

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(MetricsAutoConfiguration.class,
                CompositeMeterRegistryAutoConfiguration.class, SimpleMetricsExportAutoConfiguration.class,
                JacksonAutoConfiguration.class, QuarkActorsAutoConfiguration.class, QuarkBackendAutoConfiguration.class,
                QuarkMetricsAutoConfiguration.class, QuarkClusterAutoConfiguration.class,
                QuarkClusterHealthContributorAutoConfiguration.class))
        .withUserConfiguration(QuarkClusterAutoConfigurationTests.GreeterApplication.class);

    @Test
    void aJoinedSiloIsUpWithItsMembersAndCountsThemInMicrometer() {
        String cluster = "ops-" + System.nanoTime();
        this.contextRunner
            .withPropertyValues("quark.cluster.enabled=true", "quark.cluster.name=" + cluster,
                    "quark.cluster.silo.id=ops-1")
            .run((context) -> {
                assertThat(context).hasSingleBean(ClusterHealthIndicator.class)
                    .hasBean("quarkClusterHealthIndicator");
                Health health = context.getBean(ClusterHealthIndicator.class).health();
                assertThat(health.getStatus()).isEqualTo(Status.UP);
                assertThat(health.getDetails()).containsEntry("siloId", "ops-1")
                    .containsEntry("state", "ACTIVE")
                    .containsEntry("members.active", 1);
                assertThat(context.getBean(MembershipMetrics.class)).isInstanceOf(MicrometerMembershipMetrics.class);
                MeterRegistry registry = context.getBean(MeterRegistry.class);
                assertThat(registry.get(MicrometerRoutingMetrics.FORWARDED).counter().count()).isZero();
                assertThat(registry.get(MicrometerRoutingMetrics.REROUTED).counter().count()).isZero();
                assertThat(context.getBean(RoutingMetrics.class)).isInstanceOf(MicrometerRoutingMetrics.class);
                assertThat(registry.get(MicrometerMembershipMetrics.MEMBERS).tag("status", "active").gauge().value())
                    .isEqualTo(1.0);
            });
    }

    @Test
    void withoutTheClusterThereIsNeitherHealthContributorNorMembershipMetrics() {
        this.contextRunner.run((context) -> assertThat(context).hasNotFailed()
            .doesNotHaveBean(ClusterHealthIndicator.class)
            .doesNotHaveBean(MembershipMetrics.class)
            .doesNotHaveBean(RoutingMetrics.class));
    }
}
