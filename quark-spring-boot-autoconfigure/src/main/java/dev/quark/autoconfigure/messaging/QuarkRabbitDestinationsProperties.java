package dev.quark.autoconfigure.messaging;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;

/**
 * RabbitMQ destinations of the outbox declared by properties: each entry of {@code destinations} becomes a
 * {@code RabbitMessagePublisher} bean for the destination of its name, publishing with publisher confirms through a
 * {@code RabbitTemplate} of its own over the application's RabbitMQ {@code ConnectionFactory}. Bound and checked by
 * {@link RabbitDestinationsRegistrar} when the context starts.
 */
@ConfigurationProperties(QuarkRabbitDestinationsProperties.PREFIX)
public class QuarkRabbitDestinationsProperties {

    static final String PREFIX = "quark.messaging.rabbit";

    /**
     * RabbitMQ destinations by outbox destination name.
     */
    private final Map<String, Destination> destinations = new LinkedHashMap<>();

    public Map<String, Destination> getDestinations() {
        return this.destinations;
    }

    /**
     * Checks every destination.
     * @throws InvalidConfigurationPropertyValueException naming the first bad property and its value
     */
    void validate() {
        this.destinations.forEach((name, destination) -> {
            String property = PREFIX + ".destinations." + name;
            if (name.isBlank()) {
                throw new InvalidConfigurationPropertyValueException(PREFIX + ".destinations", name,
                        "a destination name must not be blank");
            }
            if (destination.exchange == null) {
                throw new InvalidConfigurationPropertyValueException(property + ".exchange", null,
                        "must be set; empty for the default exchange");
            }
            if (destination.confirmTimeout.isZero() || destination.confirmTimeout.isNegative()) {
                throw new InvalidConfigurationPropertyValueException(property + ".confirm-timeout",
                        destination.confirmTimeout, "must be positive");
            }
        });
    }

    /**
     * Where one destination's messages go.
     */
    public static class Destination {

        /**
         * Exchange the messages are published to. Empty for the default exchange, where the routing key names the
         * queue.
         */
        private @Nullable String exchange = "";

        /**
         * Routing key of every message of the destination. Each message's key when not set.
         */
        private @Nullable String routingKey;

        /**
         * How long a delivery waits for the broker's publisher confirm before it counts as failed (and is retried).
         */
        private Duration confirmTimeout = Duration.ofSeconds(10);

        public @Nullable String getExchange() {
            return this.exchange;
        }

        public void setExchange(@Nullable String exchange) {
            this.exchange = exchange;
        }

        public @Nullable String getRoutingKey() {
            return this.routingKey;
        }

        public void setRoutingKey(@Nullable String routingKey) {
            this.routingKey = routingKey;
        }

        public Duration getConfirmTimeout() {
            return this.confirmTimeout;
        }

        public void setConfirmTimeout(Duration confirmTimeout) {
            this.confirmTimeout = confirmTimeout;
        }
    }
}
