package dev.quark.autoconfigure.health;

import dev.quark.autoconfigure.cluster.QuarkClusterAutoConfiguration;
import dev.quark.autoconfigure.cluster.QuarkClusterProperties;
import dev.quark.cluster.client.ClientMembership;
import dev.quark.cluster.routing.SiloRouting;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;

/**
 * Auto-configuration of the {@code quarkClusterClient} health contributor of a cluster client
 * ({@code quark.cluster.mode=client}): whether it sees an active silo and reaches one.
 */
@AutoConfiguration(after = QuarkClusterAutoConfiguration.class)
@ConditionalOnClass({ HealthIndicator.class, ConditionalOnEnabledHealthIndicator.class })
@ConditionalOnBean(ClientMembership.class)
@ConditionalOnEnabledHealthIndicator("quark-cluster-client")
public final class QuarkClusterClientHealthContributorAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean(name = "quarkClusterClientHealthIndicator")
    ClusterClientHealthIndicator quarkClusterClientHealthIndicator(ClientMembership membership, SiloRouting routing,
            QuarkClusterProperties properties) {
        return new ClusterClientHealthIndicator(membership, routing.prober(), properties.getProbeTimeout());
    }
}
