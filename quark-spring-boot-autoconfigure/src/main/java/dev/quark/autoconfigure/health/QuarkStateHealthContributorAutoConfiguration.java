package dev.quark.autoconfigure.health;

import dev.quark.autoconfigure.state.QuarkStateAutoConfiguration;
import dev.quark.state.StateStoreRegistry;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.CompositeHealthContributor;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;

/**
 * Auto-configuration of the {@code quarkState} health contributor: one component per state store. Spring Boot's
 * own {@code redis} and {@code db} contributors report the connections underneath.
 */
@AutoConfiguration(after = QuarkStateAutoConfiguration.class)
@ConditionalOnClass({ HealthIndicator.class, ConditionalOnEnabledHealthIndicator.class })
@ConditionalOnBean(StateStoreRegistry.class)
@ConditionalOnEnabledHealthIndicator("quark-state")
public final class QuarkStateHealthContributorAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean(name = "quarkStateHealthContributor")
    CompositeHealthContributor quarkStateHealthContributor(StateStoreRegistry stores) {
        return CompositeHealthContributor.fromMap(stores.stores(), StateStoreHealthIndicator::new);
    }
}
