package dev.quark.autoconfigure.messaging;

import java.util.Objects;

import org.springframework.amqp.rabbit.connection.ConnectionFactory;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.beans.factory.support.AbstractBeanDefinition;
import org.springframework.beans.factory.support.BeanDefinitionRegistry;
import org.springframework.beans.factory.support.BeanDefinitionRegistryPostProcessor;
import org.springframework.beans.factory.support.RootBeanDefinition;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.Environment;

import dev.quark.messaging.publisher.amqp.RabbitMessagePublisher;

/**
 * Registers a {@link RabbitMessagePublisher} bean, named {@code quarkRabbitPublisher.<name>}, for each destination
 * of {@code quark.messaging.rabbit.destinations}; the outbox's {@code Destinations} then route that destination's
 * messages to it. Registered as bean definitions, not built here, so that each publisher is created with the other
 * beans, from the application's RabbitMQ {@link ConnectionFactory} (Spring Boot's, with
 * {@code spring-boot-starter-amqp}) and a {@link RabbitTemplate} of its own (the publisher turns {@code mandatory}
 * on). The properties are checked here, so that a bad value stops the start naming its property.
 */
final class RabbitDestinationsRegistrar implements BeanDefinitionRegistryPostProcessor {

    /** The prefix of the publishers' bean names. */
    static final String BEAN_NAME_PREFIX = "quarkRabbitPublisher.";

    private final Environment environment;

    RabbitDestinationsRegistrar(Environment environment) {
        this.environment = environment;
    }

    @Override
    public void postProcessBeanDefinitionRegistry(BeanDefinitionRegistry registry) {
        QuarkRabbitDestinationsProperties properties = Binder.get(this.environment)
            .bind(QuarkRabbitDestinationsProperties.PREFIX, QuarkRabbitDestinationsProperties.class)
            .orElseGet(QuarkRabbitDestinationsProperties::new);
        properties.validate();
        properties.getDestinations().forEach((name, destination) -> {
            String beanName = BEAN_NAME_PREFIX + name;
            if (registry.containsBeanDefinition(beanName)) {
                return;
            }
            RootBeanDefinition definition = new RootBeanDefinition(RabbitDestinationsRegistrar.class);
            definition.setFactoryMethodName("publisher");
            definition.setAutowireMode(AbstractBeanDefinition.AUTOWIRE_CONSTRUCTOR);
            definition.getConstructorArgumentValues().addIndexedArgumentValue(0, name);
            definition.getConstructorArgumentValues().addIndexedArgumentValue(1, destination);
            definition.setRole(BeanDefinition.ROLE_INFRASTRUCTURE);
            registry.registerBeanDefinition(beanName, definition);
        });
    }

    /**
     * Creates the publisher of a destination.
     * @param name the destination
     * @param destination its properties, checked
     * @param connectionFactories the application's RabbitMQ connection factories
     * @return the publisher
     * @throws IllegalStateException when there is no single connection factory, or it has no publisher confirms
     */
    static RabbitMessagePublisher publisher(String name, QuarkRabbitDestinationsProperties.Destination destination,
            ObjectProvider<ConnectionFactory> connectionFactories) {
        ConnectionFactory connectionFactory = connectionFactories.getIfUnique();
        if (connectionFactory == null) {
            throw new IllegalStateException("The RabbitMQ destination '" + name + "' ("
                    + QuarkRabbitDestinationsProperties.PREFIX + ".destinations." + name + ") needs one RabbitMQ "
                    + "ConnectionFactory bean, found " + connectionFactories.stream().count() + ": add "
                    + "spring-boot-starter-amqp (spring.rabbitmq.*), or define one CachingConnectionFactory");
        }
        return new RabbitMessagePublisher(name, new RabbitTemplate(connectionFactory),
                Objects.requireNonNull(destination.getExchange()), destination.getRoutingKey(),
                destination.getConfirmTimeout());
    }
}
