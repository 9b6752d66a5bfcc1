package dev.quark.autoconfigure.messaging;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.event.EventListener;
import org.springframework.data.redis.connection.RedisConnectionFactory;

import dev.quark.autoconfigure.backend.MissingBackendDependencyException;
import dev.quark.autoconfigure.backend.QuarkBackendAutoConfiguration;
import dev.quark.autoconfigure.lease.QuarkLeasesAutoConfiguration;
import dev.quark.autoconfigure.health.OutboxHealthIndicator;
import dev.quark.autoconfigure.health.QuarkMessagingHealthContributorAutoConfiguration;
import dev.quark.autoconfigure.metrics.MicrometerOutboxMetrics;
import dev.quark.autoconfigure.metrics.OutboxGauges;
import dev.quark.autoconfigure.metrics.QuarkMessagingMetricsAutoConfiguration;
import dev.quark.messaging.Inbox;
import dev.quark.messaging.MessageId;
import dev.quark.messaging.MessagePublisher;
import dev.quark.messaging.Outbox;
import dev.quark.messaging.publisher.ApplicationEventMessagePublisher;
import dev.quark.messaging.publisher.OutboxMessageEvent;
import dev.quark.messaging.runtime.DeadLetters;
import dev.quark.messaging.runtime.OutboxDispatcher;
import dev.quark.messaging.runtime.Partitioner;
import dev.quark.messaging.state.StateOutbox;
import dev.quark.messaging.store.MessageStatus;
import dev.quark.messaging.store.OutboxStore;
import dev.quark.messaging.store.memory.InMemoryInboxStore;
import dev.quark.messaging.store.memory.InMemoryOutboxStore;
import dev.quark.messaging.store.redis.RedisAtomicInbox;
import dev.quark.messaging.store.redis.RedisInboxStore;
import dev.quark.messaging.store.redis.RedisOutboxStore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class QuarkMessagingAutoConfigurationTests {

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(JacksonAutoConfiguration.class, QuarkBackendAutoConfiguration.class, QuarkLeasesAutoConfiguration.class,
                QuarkMessagingAutoConfiguration.class, QuarkMessagingHealthContributorAutoConfiguration.class))
        .withUserConfiguration(OrdersApplication.class)
        .withPropertyValues("quark.messaging.poll-interval=50ms");

    @Test
    void byDefaultMessagesLiveInMemoryAndTheDispatcherDeliversThemToThePublisherBeans() {
        this.contextRunner.run((context) -> {
            assertThat(context).hasSingleBean(Outbox.class)
                .hasSingleBean(Inbox.class)
                .hasSingleBean(InMemoryOutboxStore.class)
                .hasSingleBean(InMemoryInboxStore.class)
                .hasSingleBean(OutboxDispatcher.class)
                .hasSingleBean(MessagingLifecycle.class)
                .doesNotHaveBean(RedisOutboxSweepLifecycle.class)
                .hasSingleBean(StateOutbox.class)
                .hasSingleBean(DeadLetters.class)
                .hasBean("quarkInMemoryLeaseStore");
            MessageId id = context.getBean(Outbox.class).enqueue("orders", "order-1", new OrderPlaced("order-1", 5));
            OrdersApplication app = context.getBean(OrdersApplication.class);
            await().atMost(Duration.ofSeconds(10)).until(() -> app.received.size() == 1);
            assertThat(app.received.getFirst().getMessage().id()).isEqualTo(id);
            assertThat(app.received.getFirst().getMessage().payload()).isEqualTo("{\"orderId\":\"order-1\",\"cents\":5}");
            Health health = context.getBean(OutboxHealthIndicator.class).health(true);
            assertThat(health.getStatus()).isEqualTo(Status.UP);
            assertThat(health.getDetails()).containsEntry("pending", 0L).containsEntry("deadLetters", 0L);
        });
    }

    @Test
    void theInboxRunsAHandlerOncePerMessageId() {
        this.contextRunner.run((context) -> {
            Inbox inbox = context.getBean(Inbox.class);
            List<String> runs = new CopyOnWriteArrayList<>();
            assertThat(inbox.process("billing", "m-1", () -> runs.add("m-1"))).isTrue();
            assertThat(inbox.process("billing", "m-1", () -> runs.add("m-1"))).isFalse();
            assertThat(runs).containsExactly("m-1");
        });
    }

    @Test
    void aNodeWithoutTheDispatcherOnlyEnqueues() {
        this.contextRunner.withPropertyValues("quark.messaging.dispatcher.enabled=false").run((context) -> {
            assertThat(context).hasSingleBean(Outbox.class).doesNotHaveBean(OutboxDispatcher.class);
            context.getBean(Outbox.class).enqueue("orders", "k", new OrderPlaced("k", 1));
            assertThat(context.getBean(OutboxStore.class).count(MessageStatus.PENDING)).isOne();
        });
    }

    @Test
    void propertiesConfigureThePartitions() {
        this.contextRunner.withPropertyValues("quark.messaging.partitions=4").run((context) -> {
            assertThat(context.getBean(Partitioner.class).partitions()).isEqualTo(4);
            await().atMost(Duration.ofSeconds(10))
                .until(() -> context.getBean(OutboxDispatcher.class).partitions().size() == 4);
        });
    }

    @Test
    void theDefaultsAreTheLibrarys() {
        QuarkMessagingProperties properties = new QuarkMessagingProperties();
        assertThat(properties.retryBackoff().delayAfter(1)).isEqualTo(Duration.ofSeconds(1));
        assertThat(properties.retryBackoff().delayAfter(2)).isEqualTo(Duration.ofSeconds(2));
        assertThat(properties.getPartitions()).isEqualTo(16);
        assertThat(properties.getMaxAttempts()).isEqualTo(10);
    }

    @Test
    void invalidPropertiesFailStartUpNamingThem() {
        assertFailure("quark.messaging.partitions=0", "quark.messaging.partitions", "must be between 1 and 4096");
        assertFailure("quark.messaging.batch-size=0", "quark.messaging.batch-size", "must be positive");
        assertFailure("quark.messaging.max-attempts=0", "quark.messaging.max-attempts", "must be at least 1");
        assertFailure("quark.messaging.lease-duration=10ms", "quark.messaging.lease-duration", "at least 30ms");
        assertFailure("quark.messaging.backoff.max=10ms", "quark.messaging.backoff.max",
                "must not be shorter than backoff.initial");
        assertFailure("quark.messaging.backoff.multiplier=0.5", "quark.messaging.backoff.multiplier",
                "must be at least 1");
        assertFailure("quark.messaging.retention.inbox=0s", "quark.messaging.retention.inbox", "must be positive");
        assertFailure("quark.messaging.node-id= ", "quark.messaging.node-id", "must not be blank");
        assertFailure("quark.messaging.staging.grace=0s", "quark.messaging.staging.grace", "must be positive");
        assertFailure("quark.messaging.staging.sweep-interval=0s", "quark.messaging.staging.sweep-interval",
                "must be positive");
    }

    @Test
    void aStagingGraceNotShorterThanTheRetentionsFailsStartUpOnRedisNamingBoth() {
        this.contextRunner
            .withPropertyValues("quark.messaging.backend=redis", "quark.messaging.staging.grace=2d",
                    "quark.messaging.retention.dead-letters=1d", "quark.messaging.dispatcher.enabled=false")
            .withBean(RedisConnectionFactory.class, () -> org.mockito.Mockito.mock(RedisConnectionFactory.class))
            .run((context) -> {
                assertThat(context).hasFailed();
                assertThat(context.getStartupFailure()).rootCause()
                    .isInstanceOf(InvalidConfigurationPropertyValueException.class)
                    .hasMessageContaining("Property quark.messaging.staging.grace with value")
                    .hasMessageContaining("retention.delivered (PT168H)")
                    .hasMessageContaining("retention.dead-letters (PT24H)");
            });
    }

    @Test
    void aStagingIndexRebuildPeriodNotShorterThanTheRetentionsLessTheGraceFailsStartUpOnRedis() {
        this.contextRunner
            .withPropertyValues("quark.messaging.backend=redis", "quark.messaging.staging.sweep-interval=10m",
                    "quark.messaging.retention.delivered=2d", "quark.messaging.dispatcher.enabled=false")
            .withBean(RedisConnectionFactory.class, () -> org.mockito.Mockito.mock(RedisConnectionFactory.class))
            .run((context) -> {
                assertThat(context).hasFailed();
                assertThat(context.getStartupFailure()).rootCause()
                    .isInstanceOf(InvalidConfigurationPropertyValueException.class)
                    .hasMessageContaining("Property quark.messaging.staging.sweep-interval with value")
                    .hasMessageContaining("rebuild period, PT60H")
                    .hasMessageContaining("retention.delivered (PT48H)");
            });
    }

    @Test
    void redisSweepsTheStagingOfAnApplicationsRedisOutboxStoreDeclaredAsAnOutboxStore() {
        RedisConnectionFactory connectionFactory = org.mockito.Mockito.mock(RedisConnectionFactory.class);
        this.contextRunner
            .withPropertyValues("quark.messaging.backend=redis", "quark.messaging.dispatcher.enabled=false")
            .withBean(RedisConnectionFactory.class, () -> connectionFactory)
            .withBean("applicationOutboxStore", OutboxStore.class, () -> new RedisOutboxStore(connectionFactory, "app:"))
            .run((context) -> assertThat(context).hasNotFailed()
                .hasSingleBean(OutboxStore.class)
                .hasSingleBean(RedisOutboxSweepLifecycle.class)
                .getBean(RedisOutboxSweepLifecycle.class)
                .satisfies((sweep) -> assertThat(sweep.isRunning()).isTrue()));
    }

    @Test
    void aShortRetentionOfDeliveredMessagesStartsOnAnotherBackendThanRedis() {
        this.contextRunner.withPropertyValues("quark.messaging.retention.delivered=30s")
            .run((context) -> assertThat(context).hasNotFailed());
    }

    private void assertFailure(String property, String name, String reason) {
        this.contextRunner.withPropertyValues(property).run((context) -> {
            assertThat(context).hasFailed();
            assertThat(context.getStartupFailure()).rootCause()
                .isInstanceOf(InvalidConfigurationPropertyValueException.class)
                .hasMessageContaining("Property " + name + " with value")
                .hasMessageContaining(reason);
        });
    }

    @Test
    void twoPublishersOfOneDestinationFailStartUpNamingIt() {
        this.contextRunner
            .withBean("another", MessagePublisher.class, () -> MessagePublisher.of("orders", (message) -> {
            }))
            .run((context) -> {
                assertThat(context).hasFailed();
                assertThat(context.getStartupFailure()).rootCause()
                    .hasMessageContaining("Two publishers serve the destination 'orders'");
            });
    }

    @Test
    void redisKeepsMessagesAndRecordsInRedisStoresUnderTheKeyPrefix() {
        this.contextRunner
            .withPropertyValues("quark.messaging.backend=redis", "quark.redis.key-prefix=shop:",
                    "quark.messaging.dispatcher.enabled=false")
            .withBean(RedisConnectionFactory.class, () -> org.mockito.Mockito.mock(RedisConnectionFactory.class))
            .run((context) -> {
                assertThat(context).hasNotFailed()
                    .hasSingleBean(RedisOutboxStore.class)
                    .hasSingleBean(RedisInboxStore.class)
                    .hasSingleBean(RedisAtomicInbox.class)
                    .hasSingleBean(RedisOutboxSweepLifecycle.class)
                    .doesNotHaveBean(InMemoryOutboxStore.class)
                    .hasSingleBean(Outbox.class)
                    .hasSingleBean(Inbox.class);
                assertThat(context.getBean(RedisInboxStore.class).recordsKey()).isEqualTo("shop:{inbox}:records");
            });
    }

    @Test
    void redisWithoutSpringDataRedisFailsNamingTheDependency() {
        this.contextRunner.withPropertyValues("quark.messaging.backend=redis")
            .withClassLoader(new FilteredClassLoader(RedisConnectionFactory.class))
            .run((context) -> {
                assertThat(context).hasFailed();
                assertThat(context.getStartupFailure()).rootCause()
                    .isInstanceOf(MissingBackendDependencyException.class)
                    .hasMessageContaining("Quark's 'messaging' area uses quark.messaging.backend=redis")
                    .hasMessageContaining("spring-boot-starter-data-redis");
            });
    }

    @Test
    void postgresWithoutItsDriverFailsNamingTheDependency() {
        this.contextRunner.withPropertyValues("quark.messaging.backend=postgres")
            .withClassLoader(new FilteredClassLoader("org.postgresql"))
            .run((context) -> {
                assertThat(context).hasFailed();
                assertThat(context.getStartupFailure()).rootCause()
                    .isInstanceOf(MissingBackendDependencyException.class)
                    .hasMessageContaining("Quark's 'messaging' area uses quark.messaging.backend=postgres");
            });
    }

    @Test
    void beansOfTheApplicationReplaceQuarks() {
        InMemoryOutboxStore store = new InMemoryOutboxStore();
        this.contextRunner.withPropertyValues("quark.messaging.dispatcher.enabled=false")
            .withBean("myOutboxStore", OutboxStore.class, () -> store)
            .run((context) -> {
                assertThat(context).doesNotHaveBean("quarkInMemoryOutboxStore");
                MessageId id = context.getBean(Outbox.class).enqueue("orders", "k", new OrderPlaced("k", 1));
                assertThat(store.find(id)).isPresent();
            });
    }

    @Test
    void metricsCountDeliveriesAndGaugeThePendingMessages() {
        this.contextRunner
            .withConfiguration(AutoConfigurations.of(QuarkMessagingMetricsAutoConfiguration.class))
            .withBean(MeterRegistry.class, SimpleMeterRegistry::new)
            .run((context) -> {
                MeterRegistry registry = context.getBean(MeterRegistry.class);
                assertThat(context).hasSingleBean(MicrometerOutboxMetrics.class).hasSingleBean(OutboxGauges.class);
                context.getBean(OutboxGauges.class).bindTo(registry);
                context.getBean(Outbox.class).enqueue("orders", "k", new OrderPlaced("k", 1));
                await().atMost(Duration.ofSeconds(10))
                    .until(() -> registry.find(MicrometerOutboxMetrics.DELIVERIES).tag("outcome", "delivered").counter() != null);
                assertThat(registry.get(MicrometerOutboxMetrics.LATENESS).tag("destination", "orders").timer().count())
                    .isOne();
                assertThat(registry.get(OutboxGauges.PENDING).gauge().value()).isZero();
            });
    }

    record OrderPlaced(String orderId, long cents) {
    }

    @Configuration(proxyBeanMethods = false)
    static class OrdersApplication {

        final List<OutboxMessageEvent> received = new CopyOnWriteArrayList<>();

        @Bean
        MessagePublisher ordersDestination(ApplicationEventPublisher events) {
            return new ApplicationEventMessagePublisher("orders", events);
        }

        @EventListener
        void on(OutboxMessageEvent event) {
            this.received.add(event);
        }
    }
}
