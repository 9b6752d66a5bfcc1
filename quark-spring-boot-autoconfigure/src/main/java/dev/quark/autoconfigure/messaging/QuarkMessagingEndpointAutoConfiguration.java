package dev.quark.autoconfigure.messaging;

import dev.quark.messaging.runtime.DeadLetters;

import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * Auto-configuration of the {@code quarkdeadletters} actuator endpoint ({@link OutboxDeadLettersEndpoint}), when
 * Spring Boot's actuator is on the class path and the outbox is on: available once exposed
 * ({@code management.endpoints.web.exposure.include}), unless {@code management.endpoint.quarkdeadletters.access=none}
 * turns it off (read-only by default: {@code unrestricted} allows resending).
 */
@AutoConfiguration(after = QuarkMessagingAutoConfiguration.class)
@ConditionalOnClass({ Endpoint.class, ConditionalOnAvailableEndpoint.class, DeadLetters.class })
@ConditionalOnBean(DeadLetters.class)
public final class QuarkMessagingEndpointAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnAvailableEndpoint
    OutboxDeadLettersEndpoint quarkDeadLettersEndpoint(DeadLetters deadLetters) {
        return new OutboxDeadLettersEndpoint(deadLetters);
    }
}
