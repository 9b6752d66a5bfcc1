package dev.quark.samples.bank.probe;

import dev.quark.messaging.MessagePublisher;
import dev.quark.messaging.publisher.amqp.RabbitMessagePublisher;

import org.springframework.amqp.core.Queue;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.amqp.rabbit.core.RabbitAdmin;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The outbox probe's RabbitMQ destination, {@value #DESTINATION}: a {@link RabbitMessagePublisher} over a connection
 * factory of its own with correlated publisher confirms and returns, so that a message counts as delivered only once
 * the broker has it in the queue. The queue is declared (durable) at start-up. With a
 * {@link OutboxProbeProperties#deliveryDelay() delivery delay} every delivery waits that long before it publishes.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnBooleanProperty("bank.outbox-probe.enabled")
@EnableConfigurationProperties(OutboxProbeProperties.class)
class OutboxProbeConfiguration {

    /** The destination of the probe's messages. */
    static final String DESTINATION = "bank.outbox-probe";

    @Bean(destroyMethod = "destroy")
    CachingConnectionFactory outboxProbeConnectionFactory(OutboxProbeProperties properties) {
        CachingConnectionFactory factory = new CachingConnectionFactory(properties.rabbitmqUrl());
        factory.setPublisherConfirmType(CachingConnectionFactory.ConfirmType.CORRELATED);
        factory.setPublisherReturns(true);
        return factory;
    }

    @Bean
    MessagePublisher outboxProbeDestination(CachingConnectionFactory outboxProbeConnectionFactory,
            OutboxProbeProperties properties) {
        new RabbitAdmin(outboxProbeConnectionFactory).declareQueue(new Queue(properties.queue(), true));
        RabbitMessagePublisher rabbit = new RabbitMessagePublisher(DESTINATION,
                new RabbitTemplate(outboxProbeConnectionFactory), "", properties.queue(), properties.confirmTimeout());
        long delay = properties.deliveryDelay().toMillis();
        if (delay == 0) {
            return rabbit;
        }
        return MessagePublisher.of(DESTINATION, (message) -> {
            Thread.sleep(delay); // a slow destination: an interrupt (the node stopping) fails the delivery unsent
            rabbit.publish(message);
        });
    }
}
