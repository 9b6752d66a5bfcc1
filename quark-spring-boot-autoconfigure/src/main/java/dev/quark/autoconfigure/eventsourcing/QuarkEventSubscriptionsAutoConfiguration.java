package dev.quark.autoconfigure.eventsourcing;

import java.time.Clock;
import java.util.List;
import java.util.stream.Collectors;

import dev.quark.autoconfigure.backend.QuarkBackendResolver;
import dev.quark.autoconfigure.lease.QuarkLeasesAutoConfiguration;
import dev.quark.autoconfigure.metrics.QuarkMetricsAutoConfiguration;
import dev.quark.eventsourcing.EventFeed;
import dev.quark.eventsourcing.EventStore;
import dev.quark.eventsourcing.EventSubscriptionDefinition;
import dev.quark.eventsourcing.subscription.EventSubscriptionMetrics;
import dev.quark.eventsourcing.subscription.EventSubscriptionRunner;
import dev.quark.eventsourcing.subscription.SubscriptionBackoff;
import dev.quark.lease.LeaseStore;

import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;

/**
 * Auto-configuration of the {@link EventSubscriptionRunner} that follows every {@link EventSubscriptionDefinition}
 * bean of the application in the background, started and stopped with the context; present only when there is at
 * least one definition, and unless {@code quark.eventstore.subscriptions.enabled=false}.
 * <p>
 * Subscriptions read the event store's global feed: with a store that has none (Redis), start-up fails naming the
 * subscriptions. Each subscription is followed by one node at a time through a lease in the lease store of
 * {@link QuarkLeasesAutoConfiguration} (the event store's backend, unless {@code quark.leases.backend} is set).
 */
@AutoConfiguration(after = { QuarkEventStoreAutoConfiguration.class, QuarkLeasesAutoConfiguration.class,
        QuarkMetricsAutoConfiguration.class })
@ConditionalOnBooleanProperty(name = "quark.enabled", matchIfMissing = true)
@ConditionalOnBooleanProperty(name = "quark.eventstore.enabled", matchIfMissing = true)
@ConditionalOnBooleanProperty(name = "quark.eventstore.subscriptions.enabled", matchIfMissing = true)
@ConditionalOnBean({ EventStore.class, EventSubscriptionDefinition.class })
@EnableConfigurationProperties(QuarkEventStoreProperties.class)
public final class QuarkEventSubscriptionsAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    EventSubscriptionRunner quarkEventSubscriptionRunner(EventStore store,
            ObjectProvider<EventSubscriptionDefinition> definitions, QuarkEventStoreProperties properties,
            BeanFactory beanFactory, Environment environment, ObjectProvider<Clock> clock,
            ObjectProvider<EventSubscriptionMetrics> metrics) {
        List<EventSubscriptionDefinition> declared = definitions.orderedStream().toList();
        EventFeed feed = store.feed().orElseThrow(() -> noFeed(store, declared, environment));
        LeaseStore leases = QuarkLeasesAutoConfiguration.leaseStore(beanFactory, environment,
                QuarkEventStoreAutoConfiguration.AREA);
        QuarkEventStoreProperties.Subscriptions subscriptions = properties.getSubscriptions();
        EventSubscriptionRunner.Builder builder = EventSubscriptionRunner.builder(feed, leases, declared)
            .pollInterval(subscriptions.getPollInterval())
            .leaseDuration(subscriptions.getLeaseDuration())
            .backoff(new SubscriptionBackoff(subscriptions.getInitialBackoff(), subscriptions.getMaxBackoff()))
            .spread(subscriptions.isSpread())
            .clock(clock.getIfUnique(Clock::systemUTC))
            .metrics(metrics.getIfUnique(() -> EventSubscriptionMetrics.NONE));
        String nodeId = subscriptions.getNodeId();
        if (nodeId != null) {
            builder.owner(nodeId);
        }
        Integer maxAttempts = subscriptions.getMaxAttempts();
        if (maxAttempts != null) {
            builder.maxAttempts(maxAttempts);
        }
        return builder.build();
    }

    @Bean
    @ConditionalOnMissingBean
    EventSubscriptionsLifecycle quarkEventSubscriptionsLifecycle(EventSubscriptionRunner runner) {
        return new EventSubscriptionsLifecycle(runner);
    }

    private static IllegalStateException noFeed(EventStore store, List<EventSubscriptionDefinition> declared,
            Environment environment) {
        String names = declared.stream()
            .map((definition) -> "'" + definition.name() + "'")
            .collect(Collectors.joining(", "));
        return new IllegalStateException("Event subscription " + names + " needs a global feed, which the event store "
                + "on " + new QuarkBackendResolver(environment).resolve(QuarkEventStoreAutoConfiguration.AREA).setting()
                + " (" + store + ") does not have (Redis keeps each stream's order only): keep the events on "
                + "postgres (or memory) with quark.eventstore.backend, or remove the EventSubscriptionDefinition "
                + "beans, or set quark.eventstore.subscriptions.enabled=false");
    }
}
