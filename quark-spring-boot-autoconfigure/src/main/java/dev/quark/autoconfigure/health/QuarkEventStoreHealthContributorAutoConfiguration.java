package dev.quark.autoconfigure.health;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;

import dev.quark.autoconfigure.eventsourcing.QuarkEventStoreAutoConfiguration;
import dev.quark.eventsourcing.EventStore;

/**
 * Auto-configuration of the {@code quarkEventStore} health indicator ({@code management.health.quark-event-store}).
 */
@AutoConfiguration(after = QuarkEventStoreAutoConfiguration.class)
@ConditionalOnClass({ HealthIndicator.class, ConditionalOnEnabledHealthIndicator.class })
@ConditionalOnBean(EventStore.class)
@ConditionalOnEnabledHealthIndicator("quark-event-store")
public final class QuarkEventStoreHealthContributorAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean(name = "quarkEventStoreHealthIndicator")
    EventStoreHealthIndicator quarkEventStoreHealthIndicator(EventStore store) {
        return new EventStoreHealthIndicator(store);
    }
}
