package dev.quark.autoconfigure.health;

import dev.quark.autoconfigure.cluster.QuarkClusterAutoConfiguration;
import dev.quark.cluster.membership.MembershipProvider;
import dev.quark.cluster.membership.SiloMembership;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;

/**
 * Auto-configuration of the {@code quarkCluster} health contributor: whether the membership table answers,
 * this silo's status and the members by status.
 */
@AutoConfiguration(after = QuarkClusterAutoConfiguration.class)
@ConditionalOnClass({ HealthIndicator.class, ConditionalOnEnabledHealthIndicator.class })
@ConditionalOnBean(SiloMembership.class)
@ConditionalOnEnabledHealthIndicator("quark-cluster")
public final class QuarkClusterHealthContributorAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean(name = "quarkClusterHealthIndicator")
    ClusterHealthIndicator quarkClusterHealthIndicator(SiloMembership agent, MembershipProvider membership) {
        return new ClusterHealthIndicator(agent, membership);
    }
}
