package dev.quark.samples.bank.probe;

import java.net.URI;
import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The outbox probe ({@code bank.outbox-probe.*}): where its messages go.
 *
 * @param enabled whether the probe's endpoint and RabbitMQ destination exist (the {@code outbox-probe} profile turns
 * it on); with the {@code postgres} profile its messages go in transactions, with the {@code redis} one they are
 * enqueued at once
 * @param rabbitmqUrl the RabbitMQ broker, {@code amqp://user:password@host:port}
 * @param queue the queue the messages are delivered to, through the default exchange; declared (durable) at start-up
 * @param confirmTimeout how long a delivery waits for the broker's publisher confirm before it counts as failed
 * @param deliveryDelay how long each delivery waits before it publishes: a slow destination, so that a delivery is
 * in flight most of the time (the crash tests kill a node then); zero for none
 */
@ConfigurationProperties("bank.outbox-probe")
public record OutboxProbeProperties(@DefaultValue("false") boolean enabled,
        @DefaultValue("amqp://guest:guest@127.0.0.1:5672") URI rabbitmqUrl, @DefaultValue("bank.outbox-probe") String queue,
        @DefaultValue("10s") Duration confirmTimeout, @DefaultValue("0s") Duration deliveryDelay) {

    /**
     * Checks the values.
     * @throws IllegalArgumentException naming the property and its value when one is invalid
     */
    public OutboxProbeProperties {
        if (!"amqp".equals(rabbitmqUrl.getScheme()) && !"amqps".equals(rabbitmqUrl.getScheme())) {
            // Scheme and host only: the URL's user info may hold a password.
            throw new IllegalArgumentException("bank.outbox-probe.rabbitmq-url must be an amqp:// or amqps:// URL, was "
                    + "one of scheme '" + rabbitmqUrl.getScheme() + "' (host '" + rabbitmqUrl.getHost() + "')");
        }
        if (queue.isBlank() || queue.length() > 255) {
            throw new IllegalArgumentException("bank.outbox-probe.queue must be 1 to 255 characters, not blank, was '"
                    + queue + "'");
        }
        if (confirmTimeout.isNegative() || confirmTimeout.isZero()) {
            throw new IllegalArgumentException("bank.outbox-probe.confirm-timeout must be positive, was "
                    + confirmTimeout);
        }
        if (deliveryDelay.isNegative() || deliveryDelay.compareTo(confirmTimeout) > 0) {
            throw new IllegalArgumentException("bank.outbox-probe.delivery-delay must be zero to the confirm timeout ("
                    + confirmTimeout + "), was " + deliveryDelay);
        }
    }
}
