package dev.quark.autoconfigure.messaging;

import java.util.Objects;

import org.springframework.amqp.rabbit.connection.ConnectionFactory;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.beans.factory.support.AbstractBeanDefinition;
import org.springframework.beans.factory.support.BeanDefinitionRegistry;
import org.springframework.beans.factory.support.BeanDefinitionRegistryPostProcessor;
import org.springframework.beans.factory.support.RootBeanDefinition;
import org.springframework.boot.amqp.autoconfigure.RabbitTemplateConfigurer;
import org.springframework.boot.amqp.autoconfigure.RabbitTemplateCustomizer;
import org.springframework.boot.context.properties.bind.BindHandler;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.bind.handler.NoUnboundElementsBindHandler;
import org.springframework.context.ApplicationContext;
import org.springframework.core.env.Environment;
import org.springframework.util.ClassUtils;

import dev.quark.messaging.publisher.amqp.RabbitMessagePublisher;

/**
 * Registers a {@link RabbitMessagePublisher} bean, named {@code quarkRabbitPublisher.<name>}, for each destination
 * of {@code quark.messaging.rabbit.destinations}; the outbox's {@code Destinations} then route that destination's
 * messages to it. Registered as bean definitions, not built here, so that each publisher is created with the other
 * beans, from the application's RabbitMQ {@link ConnectionFactory} (Spring Boot's, with
 * {@code spring-boot-starter-amqp}) and a {@link RabbitTemplate} of its own (the publisher turns {@code mandatory}
 * on), which knows the application context (for its observation registry), and which Spring Boot's
 * {@link RabbitTemplateConfigurer} ({@code spring.rabbitmq.template.*}: observation) and the application's
 * {@link RabbitTemplateCustomizer} beans configure as they do Spring Boot's own template, when {@code spring-boot-amqp}
 * is present; its retry stays off, since the outbox retries a failed delivery itself. The properties are checked
 * here, so that a bad value stops the start naming its property; so does a key that
 * is no property of a destination (a typo such as {@code exchnage}). A definition carries only the destination's
 * name, which AOT can write into generated code; its factory method binds the destination's properties again.
 */
final class RabbitDestinationsRegistrar implements BeanDefinitionRegistryPostProcessor {

    /** The prefix of the publishers' bean names. */
    static final String BEAN_NAME_PREFIX = "quarkRabbitPublisher.";

    private static final String BOOT_TEMPLATE_CONFIGURER =
            "org.springframework.boot.amqp.autoconfigure.RabbitTemplateConfigurer";

    private final Environment environment;

    RabbitDestinationsRegistrar(Environment environment) {
        this.environment = environment;
    }

    @Override
    public void postProcessBeanDefinitionRegistry(BeanDefinitionRegistry registry) {
        QuarkRabbitDestinationsProperties properties = bind(this.environment);
        properties.getDestinations().keySet().forEach((name) -> {
            String beanName = BEAN_NAME_PREFIX + name;
            if (registry.containsBeanDefinition(beanName)) {
                return;
            }
            RootBeanDefinition definition = new RootBeanDefinition(RabbitDestinationsRegistrar.class);
            definition.setFactoryMethodName("publisher");
            definition.setAutowireMode(AbstractBeanDefinition.AUTOWIRE_CONSTRUCTOR);
            definition.getConstructorArgumentValues().addIndexedArgumentValue(0, name);
            definition.setRole(BeanDefinition.ROLE_INFRASTRUCTURE);
            registry.registerBeanDefinition(beanName, definition);
        });
    }

    /**
     * Binds and checks the destinations, refusing keys that bind to no property.
     * @throws org.springframework.boot.context.properties.bind.BindException naming the unknown keys
     * @throws org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException naming
     * a bad value
     */
    private static QuarkRabbitDestinationsProperties bind(Environment environment) {
        QuarkRabbitDestinationsProperties properties = Binder.get(environment)
            .bind(QuarkRabbitDestinationsProperties.PREFIX, Bindable.of(QuarkRabbitDestinationsProperties.class),
                    new NoUnboundElementsBindHandler(BindHandler.DEFAULT))
            .orElseGet(QuarkRabbitDestinationsProperties::new);
        properties.validate();
        return properties;
    }

    /**
     * Creates the publisher of a destination.
     * @param name the destination
     * @param environment where its properties are bound from
     * @param connectionFactories the application's RabbitMQ connection factories
     * @param context the application context: its observation registry, Spring Boot's template configurer and the
     * application's template customizers
     * @return the publisher
     * @throws IllegalStateException when there is no single connection factory, or it has no publisher confirms
     */
    static RabbitMessagePublisher publisher(String name, Environment environment,
            ObjectProvider<ConnectionFactory> connectionFactories, ApplicationContext context) {
        QuarkRabbitDestinationsProperties.Destination destination = bind(environment).getDestinations().get(name);
        if (destination == null) {
            throw new IllegalStateException("The RabbitMQ destination '" + name + "' is no longer in "
                    + QuarkRabbitDestinationsProperties.PREFIX + ".destinations");
        }
        ConnectionFactory connectionFactory = connectionFactories.getIfUnique();
        if (connectionFactory == null) {
            throw new IllegalStateException("The RabbitMQ destination '" + name + "' ("
                    + QuarkRabbitDestinationsProperties.PREFIX + ".destinations." + name + ") needs one RabbitMQ "
                    + "ConnectionFactory bean, found " + connectionFactories.stream().count() + ": add "
                    + "spring-boot-starter-amqp (spring.rabbitmq.*), or define one CachingConnectionFactory");
        }
        RabbitTemplate template = new RabbitTemplate(connectionFactory);
        template.setApplicationContext(context);
        template.setBeanFactory(context);
        if (ClassUtils.isPresent(BOOT_TEMPLATE_CONFIGURER, context.getClassLoader())) {
            BootTemplateSettings.apply(template, connectionFactory, context);
        }
        return new RabbitMessagePublisher(name, template,
                Objects.requireNonNull(destination.getExchange()), destination.getRoutingKey(),
                destination.getConfirmTimeout());
    }

    /**
     * Spring Boot's template settings, in a class of their own so that nothing loads {@code spring-boot-amqp}'s
     * types when it is absent. Applied in Spring Boot's order: the configurer, then the customizers. Then the retry
     * is turned off whatever {@code spring.rabbitmq.template.retry.*} or a customizer says: the outbox retries a
     * failed delivery with its own backoff, and a retried send that reuses the message's correlation would have the
     * first attempt's nack answer for it (a delivered message reported refused, sent again). The publisher turns
     * {@code mandatory} on afterwards whatever {@code spring.rabbitmq.template.mandatory} says, since a message the
     * broker could not route must not count as delivered.
     */
    private static final class BootTemplateSettings {

        // setRetryTemplate's parameter is declared non-null, yet null is the template's default: no retry.
        @SuppressWarnings("NullAway")
        static void apply(RabbitTemplate template, ConnectionFactory connectionFactory, BeanFactory beanFactory) {
            RabbitTemplateConfigurer configurer = beanFactory.getBeanProvider(RabbitTemplateConfigurer.class)
                .getIfUnique();
            if (configurer != null) {
                configurer.configure(template, connectionFactory);
            }
            beanFactory.getBeanProvider(RabbitTemplateCustomizer.class)
                .orderedStream()
                .forEach((customizer) -> customizer.customize(template));
            template.setRetryTemplate(null);
        }
    }
}
