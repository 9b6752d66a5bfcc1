package dev.quark.autoconfigure.health;

import dev.quark.autoconfigure.actors.QuarkActorsAutoConfiguration;
import dev.quark.runtime.ActorRuntime;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;

/**
 * Auto-configuration of the {@code quark} health contributor.
 */
@AutoConfiguration(after = QuarkActorsAutoConfiguration.class)
@ConditionalOnClass({ HealthIndicator.class, ConditionalOnEnabledHealthIndicator.class })
@ConditionalOnBean(ActorRuntime.class)
@ConditionalOnEnabledHealthIndicator("quark")
public final class QuarkHealthContributorAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean(name = "quarkHealthIndicator")
    ActorRuntimeHealthIndicator quarkHealthIndicator(ActorRuntime runtime) {
        return new ActorRuntimeHealthIndicator(runtime);
    }
}
