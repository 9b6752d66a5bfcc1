package dev.quark.autoconfigure.eventsourcing;

import dev.quark.eventsourcing.subscription.EventSubscriptionRunner;

import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * Auto-configuration of the {@code quarkeventdeadletters} actuator endpoint ({@link EventDeadLettersEndpoint}), when
 * Spring Boot's actuator is on the class path and this node runs event subscriptions: available once exposed
 * ({@code management.endpoints.web.exposure.include}), unless
 * {@code management.endpoint.quarkeventdeadletters.access=none} turns it off (read-only by default:
 * {@code unrestricted} allows retries and discards).
 */
@AutoConfiguration(after = QuarkEventSubscriptionsAutoConfiguration.class)
@ConditionalOnClass({ Endpoint.class, ConditionalOnAvailableEndpoint.class })
@ConditionalOnBean(EventSubscriptionRunner.class)
public final class QuarkEventSubscriptionsEndpointAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnAvailableEndpoint
    EventDeadLettersEndpoint quarkEventDeadLettersEndpoint(EventSubscriptionRunner runner) {
        return new EventDeadLettersEndpoint(runner);
    }
}
