package dev.quark.messaging.publisher.amqp;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.springframework.amqp.AmqpException;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.MessageProperties;
import org.springframework.amqp.core.ReturnedMessage;
import org.springframework.amqp.rabbit.connection.CorrelationData;
import org.springframework.amqp.rabbit.core.RabbitTemplate;

import dev.quark.messaging.MessagePublisher;
import dev.quark.messaging.OutboxMessage;

/**
 * Delivers a destination's messages to a RabbitMQ exchange through Spring AMQP, and waits for the broker's
 * publisher confirm: a message counts as delivered only when the broker acknowledged it and did not return it as
 * unroutable (it is published {@code mandatory}). The routing key is the message key unless a fixed one is given.
 * <p>
 * The AMQP message carries the JSON payload ({@code application/json}), the message id as {@code message-id}, the
 * outbox headers as AMQP headers, and {@code quark-destination}, {@code quark-key}, {@code quark-payload-type}.
 * <p>
 * The template's connection factory must have correlated publisher confirms and returns turned on (with Spring Boot:
 * {@code spring.rabbitmq.publisher-confirm-type=correlated} and {@code spring.rabbitmq.publisher-returns=true});
 * the constructor refuses one without, naming the properties. It turns the template's {@code mandatory} flag on, so
 * give it a template of its own if other code relies on unroutable messages being dropped.
 */
public final class RabbitMessagePublisher implements MessagePublisher {

    private final String destination;

    private final RabbitTemplate template;

    private final String exchange;

    private final @org.jspecify.annotations.Nullable String routingKey;

    private final Duration confirmTimeout;

    /**
     * Creates the publisher.
     * @param destination the destination it serves
     * @param template the template; its connection factory must have correlated confirms and returns on
     * @param exchange the exchange, {@code ""} for the default exchange (the routing key names the queue)
     * @param routingKey a fixed routing key, or {@code null} to route by the message key
     * @param confirmTimeout how long to wait for the broker's confirm
     * @throws IllegalStateException when the connection factory has no correlated confirms or no returns
     */
    public RabbitMessagePublisher(String destination, RabbitTemplate template, String exchange,
            @org.jspecify.annotations.Nullable String routingKey, Duration confirmTimeout) {
        this.destination = MessagePublisher.of(destination, (message) -> {
        }).destination();
        this.template = Objects.requireNonNull(template, "template must not be null");
        this.exchange = Objects.requireNonNull(exchange, "exchange must not be null");
        this.routingKey = routingKey;
        this.confirmTimeout = Objects.requireNonNull(confirmTimeout, "confirmTimeout must not be null");
        if (!template.getConnectionFactory().isPublisherConfirms()
                || !template.getConnectionFactory().isPublisherReturns()) {
            throw new IllegalStateException("The RabbitMQ destination '" + destination + "' needs publisher confirms "
                    + "and returns: set spring.rabbitmq.publisher-confirm-type=correlated and "
                    + "spring.rabbitmq.publisher-returns=true (or configure the CachingConnectionFactory so)");
        }
        template.setMandatory(true);
    }

    @Override
    public String destination() {
        return this.destination;
    }

    @Override
    public void publish(OutboxMessage message) throws Exception {
        MessageProperties properties = new MessageProperties();
        properties.setContentType(MessageProperties.CONTENT_TYPE_JSON);
        properties.setContentEncoding(StandardCharsets.UTF_8.name());
        properties.setMessageId(message.id().toString());
        message.headers().forEach(properties::setHeader);
        properties.setHeader("quark-destination", message.destination());
        properties.setHeader("quark-key", message.key());
        properties.setHeader("quark-payload-type", message.payloadType());
        Message amqp = new Message(message.payload().getBytes(StandardCharsets.UTF_8), properties);
        CorrelationData correlation = new CorrelationData(message.id().toString());
        String key = (this.routingKey != null) ? this.routingKey : message.key();
        this.template.send(this.exchange, key, amqp, correlation);
        CorrelationData.Confirm confirm;
        try {
            confirm = correlation.getFuture().get(this.confirmTimeout.toMillis(), TimeUnit.MILLISECONDS);
        }
        catch (TimeoutException ex) {
            throw new AmqpException("RabbitMQ did not confirm message " + message.id() + " for '" + this.destination
                    + "' within " + this.confirmTimeout, ex);
        }
        if (!confirm.ack()) {
            throw new AmqpException("RabbitMQ refused message " + message.id() + " for '" + this.destination + "': "
                    + confirm.reason());
        }
        ReturnedMessage returned = correlation.getReturned();
        if (returned != null) {
            throw new AmqpException("RabbitMQ returned message " + message.id() + " for '" + this.destination
                    + "' as unroutable from exchange '" + returned.getExchange() + "' with routing key '"
                    + returned.getRoutingKey() + "': " + returned.getReplyCode() + " " + returned.getReplyText());
        }
    }

    @Override
    public String toString() {
        return "RabbitMessagePublisher[" + this.destination + " -> exchange '" + this.exchange + "']";
    }
}
