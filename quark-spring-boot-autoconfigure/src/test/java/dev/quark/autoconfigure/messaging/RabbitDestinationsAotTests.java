package dev.quark.autoconfigure.messaging;

import org.junit.jupiter.api.Test;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory.ConfirmType;
import org.springframework.aot.generate.GeneratedFiles.Kind;
import org.springframework.aot.test.generate.TestGenerationContext;
import org.springframework.beans.factory.support.AbstractBeanDefinition;
import org.springframework.beans.factory.support.RootBeanDefinition;
import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.aot.ApplicationContextAotGenerator;
import org.springframework.context.support.GenericApplicationContext;
import org.springframework.core.test.tools.CompileWithForkedClassLoader;
import org.springframework.core.test.tools.TestCompiler;
import org.springframework.javapoet.ClassName;
import org.springframework.mock.env.MockEnvironment;

import dev.quark.messaging.publisher.amqp.RabbitMessagePublisher;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * RabbitMQ destinations under AOT ({@code process-aot}, native images): the publisher beans registered from the
 * properties at build time are generated as code, and the generated context starts them, binding each destination's
 * settings from the environment it runs with.
 */
@CompileWithForkedClassLoader
class RabbitDestinationsAotTests {

    @Test
    void theDestinationsPublishersAreGeneratedAheadOfTimeAndStartFromTheGeneratedCode() {
        GenericApplicationContext buildTime = context(new MockEnvironment()
            .withProperty("quark.messaging.rabbit.destinations.orders.exchange", "shop")
            .withProperty("quark.messaging.rabbit.destinations[billing.events].routing-key", "billing"));
        TestGenerationContext generation = new TestGenerationContext();
        ClassName initializerName = new ApplicationContextAotGenerator().processAheadOfTime(buildTime, generation);
        generation.writeGeneratedContent();
        String generated = String.join("\n", generation.getGeneratedFiles().getGeneratedFiles(Kind.SOURCE).values()
            .stream().map(Object::toString).toList());
        assertThat(generated).as("the publishers' definitions are code, not registered again at run time")
            .contains("\"quarkRabbitPublisher.orders\"", "\"quarkRabbitPublisher.billing.events\"",
                    "RabbitDestinationsRegistrar.publisher(");

        TestCompiler.forSystem().with(generation).compile((compiled) -> {
            GenericApplicationContext runTime = new GenericApplicationContext();
            runTime.setEnvironment(new MockEnvironment()
                .withProperty("quark.messaging.rabbit.destinations.orders.exchange", "shop-eu")
                .withProperty("quark.messaging.rabbit.destinations[billing.events].routing-key", "billing"));
            @SuppressWarnings("unchecked")
            ApplicationContextInitializer<GenericApplicationContext> initializer = compiled
                .getInstance(ApplicationContextInitializer.class, initializerName.toString());
            initializer.initialize(runTime);
            runTime.refresh();
            try {
                assertThat(runTime.getBeansOfType(RabbitMessagePublisher.class)).containsOnlyKeys(
                        "quarkRabbitPublisher.orders", "quarkRabbitPublisher.billing.events");
                assertThat(runTime.getBean("quarkRabbitPublisher.orders", RabbitMessagePublisher.class))
                    .hasToString("RabbitMessagePublisher[orders -> exchange 'shop-eu']")
                    .extracting(RabbitMessagePublisher::destination)
                    .isEqualTo("orders");
                assertThat(runTime.getBean("quarkRabbitPublisher.billing.events", RabbitMessagePublisher.class)
                    .destination()).isEqualTo("billing.events");
            }
            finally {
                runTime.close();
            }
        });
    }

    private static GenericApplicationContext context(MockEnvironment environment) {
        GenericApplicationContext context = new GenericApplicationContext();
        context.setEnvironment(environment);
        RootBeanDefinition registrar = new RootBeanDefinition(RabbitDestinationsRegistrar.class);
        registrar.setAutowireMode(AbstractBeanDefinition.AUTOWIRE_CONSTRUCTOR);
        context.registerBeanDefinition("quarkRabbitDestinationsRegistrar", registrar);
        RootBeanDefinition connections = new RootBeanDefinition(CachingConnectionFactory.class);
        connections.getPropertyValues().add("publisherConfirmType", ConfirmType.CORRELATED);
        connections.getPropertyValues().add("publisherReturns", true);
        context.registerBeanDefinition("rabbitConnectionFactory", connections);
        return context;
    }
}
