package dev.quark.autoconfigure.health;

import dev.quark.autoconfigure.eventsourcing.QuarkEventSubscriptionsAutoConfiguration;
import dev.quark.eventsourcing.subscription.EventSubscriptionRunner;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;

/**
 * Auto-configuration of the {@code quarkEventSubscriptions} health indicator
 * ({@code management.health.quark-event-subscriptions}).
 */
@AutoConfiguration(after = QuarkEventSubscriptionsAutoConfiguration.class)
@ConditionalOnClass({ HealthIndicator.class, ConditionalOnEnabledHealthIndicator.class })
@ConditionalOnBean(EventSubscriptionRunner.class)
@ConditionalOnEnabledHealthIndicator("quark-event-subscriptions")
public final class QuarkEventSubscriptionsHealthContributorAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean(name = "quarkEventSubscriptionsHealthIndicator")
    EventSubscriptionsHealthIndicator quarkEventSubscriptionsHealthIndicator(EventSubscriptionRunner runner) {
        return new EventSubscriptionsHealthIndicator(runner);
    }
}
