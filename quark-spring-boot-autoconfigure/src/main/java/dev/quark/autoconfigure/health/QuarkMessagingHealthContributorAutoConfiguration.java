package dev.quark.autoconfigure.health;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;

import dev.quark.autoconfigure.messaging.QuarkMessagingAutoConfiguration;
import dev.quark.messaging.Outbox;
import dev.quark.messaging.runtime.OutboxDispatcher;
import dev.quark.messaging.store.OutboxStore;

/**
 * Auto-configuration of the {@code quarkOutbox} health indicator.
 */
@AutoConfiguration(after = QuarkMessagingAutoConfiguration.class)
@ConditionalOnClass({ HealthIndicator.class, ConditionalOnEnabledHealthIndicator.class, Outbox.class })
@ConditionalOnBean(OutboxStore.class)
@ConditionalOnEnabledHealthIndicator("quark-outbox")
public final class QuarkMessagingHealthContributorAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean(name = "quarkOutboxHealthIndicator")
    OutboxHealthIndicator quarkOutboxHealthIndicator(OutboxStore store, ObjectProvider<OutboxDispatcher> dispatcher) {
        return new OutboxHealthIndicator(store, dispatcher.getIfUnique());
    }
}
