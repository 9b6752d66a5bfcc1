package dev.quark.autoconfigure.messaging;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.ObservationRegistry;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.springframework.amqp.AmqpException;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.Queue;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.amqp.rabbit.core.RabbitAdmin;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.beans.factory.config.ConstructorArgumentValues.ValueHolder;
import org.springframework.boot.amqp.autoconfigure.RabbitAutoConfiguration;
import org.springframework.boot.amqp.autoconfigure.RabbitTemplateCustomizer;
import org.springframework.boot.amqp.autoconfigure.RabbitTemplateRetrySettingsCustomizer;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.core.NestedExceptionUtils;
import org.springframework.test.util.ReflectionTestUtils;

import dev.quark.autoconfigure.backend.QuarkBackendAutoConfiguration;
import dev.quark.autoconfigure.lease.QuarkLeasesAutoConfiguration;
import dev.quark.messaging.Destinations;
import dev.quark.messaging.MessageId;
import dev.quark.messaging.Outbox;
import dev.quark.messaging.OutboxMessage;
import dev.quark.messaging.publisher.amqp.RabbitMessagePublisher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * RabbitMQ destinations declared in {@code quark.messaging.rabbit.destinations}: a publisher bean per entry that
 * delivers to the machine's broker with confirms, and start-up failures naming the bad value.
 */
class RabbitDestinationsTests {

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(JacksonAutoConfiguration.class, QuarkBackendAutoConfiguration.class,
                QuarkLeasesAutoConfiguration.class, QuarkMessagingAutoConfiguration.class))
        .withPropertyValues("quark.messaging.poll-interval=50ms");

    @Test
    void aDestinationInThePropertiesBecomesAPublisherThatDeliversToTheBrokerWithConfirms() {
        CachingConnectionFactory connections = connectionFactory(true);
        CachingConnectionFactory adminConnections = connectionFactory(false);
        RabbitAdmin admin = new RabbitAdmin(adminConnections);
        String queue = "quark-test-properties-" + UUID.randomUUID();
        admin.declareQueue(new Queue(queue, false, false, false));
        try {
            this.contextRunner.withBean(CachingConnectionFactory.class, () -> connections)
                .withPropertyValues("quark.messaging.rabbit.destinations.orders.routing-key=" + queue,
                        "quark.messaging.rabbit.destinations.orders.confirm-timeout=5s",
                        "quark.messaging.rabbit.destinations.audit.exchange=amq.topic")
                .run((context) -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context.getBeansOfType(RabbitMessagePublisher.class)).containsOnlyKeys(
                            "quarkRabbitPublisher.orders", "quarkRabbitPublisher.audit");
                    assertThat(context.getBean(Destinations.class).require("orders"))
                        .isSameAs(context.getBean("quarkRabbitPublisher.orders"));
                    MessageId id = context.getBean(Outbox.class).enqueue("orders", "order-7", "placed");
                    Message received = new RabbitTemplate(adminConnections).receive(queue, 20_000);
                    assertThat(received).isNotNull();
                    assertThat(received.getMessageProperties().getMessageId()).isEqualTo(id.toString());
                    assertThat(new String(received.getBody(), StandardCharsets.UTF_8)).isEqualTo("\"placed\"");
                    assertThat((String) received.getMessageProperties().getHeader("quark-key")).isEqualTo("order-7");
                });
        }
        finally {
            admin.deleteQueue(queue);
            adminConnections.destroy();
        }
    }

    @Test
    void springBootsTemplateSettingsAndTheApplicationsCustomizersApplyToTheDestinationsTemplateWithoutItsRetry() {
        URI broker = brokerUri();
        CachingConnectionFactory adminConnections = connectionFactory(false);
        RabbitAdmin admin = new RabbitAdmin(adminConnections);
        String queue = "quark-test-customized-" + UUID.randomUUID();
        admin.declareQueue(new Queue(queue, false, false, false));
        AtomicInteger retrySettingsCustomized = new AtomicInteger();
        List<String> observed = new CopyOnWriteArrayList<>();
        ObservationRegistry observations = ObservationRegistry.create();
        observations.observationConfig().observationHandler(new ObservationHandler<>() {

            @Override
            public boolean supportsContext(Observation.Context context) {
                return true;
            }

            @Override
            public void onStart(Observation.Context context) {
                observed.add(context.getName());
            }
        });
        try {
            this.contextRunner.withConfiguration(AutoConfigurations.of(RabbitAutoConfiguration.class))
                .withBean(ObservationRegistry.class, () -> observations)
                .withBean(RabbitTemplateCustomizer.class,
                        () -> (template) -> template.setBeforePublishPostProcessors((message) -> {
                            message.getMessageProperties().setHeader("customized-by", "the application");
                            return message;
                        }))
                .withBean(RabbitTemplateRetrySettingsCustomizer.class,
                        () -> (settings) -> retrySettingsCustomized.incrementAndGet())
                .withPropertyValues("spring.rabbitmq.addresses=" + broker,
                        "spring.rabbitmq.publisher-confirm-type=correlated", "spring.rabbitmq.publisher-returns=true",
                        "spring.rabbitmq.template.retry.enabled=true", "spring.rabbitmq.template.mandatory=false",
                        "spring.rabbitmq.template.observation-enabled=true",
                        "quark.messaging.rabbit.destinations.orders.routing-key=" + queue,
                        "quark.messaging.rabbit.destinations.nowhere.routing-key=" + queue + "-missing")
                .run((context) -> {
                    assertThat(context).hasNotFailed();
                    MessageId id = context.getBean(Outbox.class).enqueue("orders", "order-8", "placed");
                    Message received = new RabbitTemplate(adminConnections).receive(queue, 20_000);
                    assertThat(received).isNotNull();
                    assertThat(received.getMessageProperties().getMessageId()).isEqualTo(id.toString());
                    assertThat((String) received.getMessageProperties().getHeader("customized-by"))
                        .as("the application's RabbitTemplateCustomizer")
                        .isEqualTo("the application");
                    assertThat(observed).as("spring.rabbitmq.template.observation-enabled, through the context's registry")
                        .contains("spring.rabbit.template");
                    assertThat(retrySettingsCustomized).as("Spring Boot's configurer built a retry").hasPositiveValue();
                    Object template = ReflectionTestUtils.getField(context.getBean("quarkRabbitPublisher.orders"),
                            "template");
                    assertThat(ReflectionTestUtils.getField(Objects.requireNonNull(template), "retryTemplate"))
                        .as("the outbox retries: the template's retry is off").isNull();
                    RabbitMessagePublisher nowhere = context.getBean("quarkRabbitPublisher.nowhere",
                            RabbitMessagePublisher.class);
                    OutboxMessage unroutable = new OutboxMessage(MessageId.next(Clock.systemUTC()), "nowhere",
                            "order-9", "java.lang.String", "\"placed\"", Map.of(), Instant.now(), 1);
                    assertThatExceptionOfType(AmqpException.class).as("mandatory stays on whatever the template says")
                        .isThrownBy(() -> nowhere.publish(unroutable))
                        .withMessageContaining("unroutable");
                });
        }
        finally {
            admin.deleteQueue(queue);
            adminConnections.destroy();
        }
    }

    @Test
    void withoutSpringBootAmqpTheDestinationsTemplateIsAPlainOne() {
        // The customizer bean's type is on the test's class path, not on the context's: only the registrar's check
        // of the context's class loader keeps it from being applied.
        CachingConnectionFactory connections = connectionFactory(true);
        CachingConnectionFactory adminConnections = connectionFactory(false);
        RabbitAdmin admin = new RabbitAdmin(adminConnections);
        String queue = "quark-test-plain-" + UUID.randomUUID();
        admin.declareQueue(new Queue(queue, false, false, false));
        try {
            this.contextRunner.withClassLoader(new FilteredClassLoader("org.springframework.boot.amqp"))
                .withBean(CachingConnectionFactory.class, () -> connections)
                .withBean(RabbitTemplateCustomizer.class,
                        () -> (template) -> template.setBeforePublishPostProcessors((message) -> {
                            message.getMessageProperties().setHeader("customized-by", "the application");
                            return message;
                        }))
                .withPropertyValues("quark.messaging.rabbit.destinations.orders.routing-key=" + queue)
                .run((context) -> {
                    assertThat(context).hasNotFailed();
                    MessageId id = context.getBean(Outbox.class).enqueue("orders", "order-10", "placed");
                    Message received = new RabbitTemplate(adminConnections).receive(queue, 20_000);
                    assertThat(received).isNotNull();
                    assertThat(received.getMessageProperties().getMessageId()).isEqualTo(id.toString());
                    assertThat(received.getMessageProperties().getHeaders()).doesNotContainKey("customized-by");
                });
        }
        finally {
            admin.deleteQueue(queue);
            adminConnections.destroy();
        }
    }

    @Test
    void aConnectionFactoryWithoutPublisherConfirmsFailsTheStartNamingTheDestinationAndTheProperty() {
        this.contextRunner.withBean(CachingConnectionFactory.class, () -> new CachingConnectionFactory("127.0.0.1"))
            .withPropertyValues("quark.messaging.rabbit.destinations.orders.exchange=shop")
            .run((context) -> assertThat(mostSpecificCause(context.getStartupFailure()))
                .hasMessageContaining("'orders'")
                .hasMessageContaining("spring.rabbitmq.publisher-confirm-type=correlated"));
    }

    @Test
    void aConfirmTimeoutThatIsNotPositiveFailsTheStartNamingTheProperty() {
        this.contextRunner.withBean(CachingConnectionFactory.class, () -> new CachingConnectionFactory("127.0.0.1"))
            .withPropertyValues("quark.messaging.rabbit.destinations.orders.confirm-timeout=0s")
            .run((context) -> assertThat(mostSpecificCause(context.getStartupFailure()))
                .isInstanceOf(InvalidConfigurationPropertyValueException.class)
                .hasMessageContaining("quark.messaging.rabbit.destinations.orders.confirm-timeout")
                .hasMessageContaining("must be positive"));
    }

    @Test
    void withoutAConnectionFactoryTheStartFailsNamingTheDependency() {
        this.contextRunner.withPropertyValues("quark.messaging.rabbit.destinations.orders.exchange=shop")
            .run((context) -> assertThat(mostSpecificCause(context.getStartupFailure()))
                .hasMessageContaining("quark.messaging.rabbit.destinations.orders")
                .hasMessageContaining("spring-boot-starter-amqp"));
    }

    @Test
    void withoutDestinationsOrWithoutSpringRabbitNoPublisherIsCreated() {
        this.contextRunner.run((context) -> assertThat(context).hasNotFailed()
            .doesNotHaveBean(RabbitMessagePublisher.class));
        this.contextRunner.withClassLoader(new FilteredClassLoader(RabbitTemplate.class))
            .withPropertyValues("quark.messaging.rabbit.destinations.orders.exchange=shop")
            .run((context) -> assertThat(context).hasNotFailed()
                .doesNotHaveBean("quarkRabbitPublisher.orders"));
    }

    @Test
    void aKeyThatIsNoDestinationPropertyFailsTheStartNamingIt() {
        this.contextRunner.withBean(CachingConnectionFactory.class, RabbitDestinationsTests::confirmingFactory)
            .withPropertyValues("quark.messaging.rabbit.destinations.orders.exchnage=shop")
            .run((context) -> assertThat(mostSpecificCause(context.getStartupFailure()))
                .hasMessageContaining("quark.messaging.rabbit.destinations.orders.exchnage"));
    }

    @Test
    void aDestinationNameWithDotsIsBoundInBracketsAndItsDefinitionCarriesOnlyTheName() {
        this.contextRunner.withBean(CachingConnectionFactory.class, RabbitDestinationsTests::confirmingFactory)
            .withPropertyValues("quark.messaging.rabbit.destinations[orders.placed].exchange=shop",
                    "quark.messaging.rabbit.destinations[orders.placed].routing-key=placed")
            .run((context) -> {
                assertThat(context).hasNotFailed();
                assertThat(context.getBean(Destinations.class).require("orders.placed"))
                    .isSameAs(context.getBean("quarkRabbitPublisher.orders.placed"));
                assertThat(context.getBeanFactory()
                    .getBeanDefinition("quarkRabbitPublisher.orders.placed")
                    .getConstructorArgumentValues()
                    .getIndexedArgumentValues()).as("AOT writes a String, not a Destination object")
                    .containsOnlyKeys(0)
                    .extractingByKey(0)
                    .extracting(ValueHolder::getValue)
                    .isEqualTo("orders.placed");
            });
    }

    private static CachingConnectionFactory confirmingFactory() {
        CachingConnectionFactory factory = new CachingConnectionFactory("127.0.0.1");
        factory.setPublisherConfirmType(CachingConnectionFactory.ConfirmType.CORRELATED);
        factory.setPublisherReturns(true);
        return factory;
    }

    private static Throwable mostSpecificCause(Throwable failure) {
        assertThat(failure).as("the start failed").isNotNull();
        return NestedExceptionUtils.getMostSpecificCause(failure);
    }

    private static CachingConnectionFactory connectionFactory(boolean confirms) {
        URI uri = brokerUri();
        CachingConnectionFactory factory = new CachingConnectionFactory(uri);
        if (confirms) {
            factory.setPublisherConfirmType(CachingConnectionFactory.ConfirmType.CORRELATED);
            factory.setPublisherReturns(true);
        }
        return factory;
    }

    /** The test broker, after checking that it answers (aborting the test when it does not, failing it on CI). */
    private static URI brokerUri() {
        String configured = System.getenv("QUARK_TEST_RABBITMQ_URL");
        URI uri = URI.create((configured != null && !configured.isBlank()) ? configured
                : "amqp://guest:guest@127.0.0.1:5672");
        int port = (uri.getPort() > 0) ? uri.getPort() : 5672;
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(uri.getHost(), port), 2000);
        }
        catch (IOException ex) {
            String problem = "RabbitMQ does not answer on " + uri.getHost() + ":" + port + ": " + ex.getMessage();
            if ("true".equals(System.getenv("CI"))) {
                throw new IllegalStateException(problem, ex);
            }
            Assumptions.abort(problem);
        }
        return uri;
    }
}
