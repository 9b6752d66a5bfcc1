package dev.quark.autoconfigure.durabletasks;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.quark.autoconfigure.backend.QuarkBackendAutoConfiguration;
import dev.quark.autoconfigure.durabletasks.QuarkDurableTasksAutoConfigurationTests.OrderOrchestration;
import dev.quark.autoconfigure.durabletasks.QuarkDurableTasksAutoConfigurationTests.Orders;
import dev.quark.autoconfigure.lease.QuarkLeasesAutoConfiguration;
import dev.quark.durabletasks.DurableTaskClient;
import dev.quark.durabletasks.OrchestrationState;
import dev.quark.durabletasks.OrchestrationStatus;
import dev.quark.durabletasks.store.DurableTaskStore;
import dev.quark.durabletasks.store.redis.RedisDurableTaskStore;
import dev.quark.durabletasks.store.redis.RedisDurableTaskWakeUps;
import dev.quark.lease.redis.RedisLeaseStore;
import dev.quark.testkit.server.RedisTestServer;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.data.redis.listener.ChannelTopic;
import org.springframework.data.redis.listener.RedisMessageListenerContainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Durable tasks on Redis as an application gets them: Spring Boot's connection factory, Quark's key prefix, and an
 * orchestration run to completion by the worker, its leases in the shared Redis lease store
 * ({@code quarkRedisLeaseStore}) of {@link QuarkLeasesAutoConfiguration}.
 */
class RedisDurableTasksIntegrationTests {

    private static final String PREFIX = RedisTestServer.get().uniqueKeyPrefix(RedisDurableTasksIntegrationTests.class);

    @Test
    void onRedisAnOrchestrationRunsToCompletionUnderTheKeyPrefix() {
        RedisTestServer server = RedisTestServer.get();
        String prefix = PREFIX;
        try {
            new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(DataRedisAutoConfiguration.class, JacksonAutoConfiguration.class,
                        QuarkBackendAutoConfiguration.class, QuarkLeasesAutoConfiguration.class,
                        QuarkDurableTasksAutoConfiguration.class, QuarkDurableTasksWorkerAutoConfiguration.class))
                .withUserConfiguration(Orders.class)
                .withPropertyValues("quark.durabletasks.backend=redis", "quark.leases.backend=redis",
                        "quark.redis.key-prefix=" + prefix,
                        "quark.durabletasks.worker.poll-interval=100ms", "spring.data.redis.host=" + server.host(),
                        "spring.data.redis.port=" + server.port(), "spring.data.redis.timeout=2s",
                        "spring.data.redis.password=" + ((server.password() != null) ? server.password() : ""))
                .run((context) -> {
                    assertThat(context).hasNotFailed()
                        .hasSingleBean(RedisLeaseStore.class)
                        .hasBean(QuarkLeasesAutoConfiguration.REDIS_LEASE_STORE);
                    assertThat(context.getBean(DurableTaskStore.class)).isInstanceOf(RedisDurableTaskStore.class);
                    DurableTaskClient client = context.getBean(DurableTaskClient.class);
                    String id = client.schedule(OrderOrchestration.class, 5);
                    OrchestrationState state = client.waitForCompletion(id, Duration.ofSeconds(30));
                    assertThat(state.status()).isEqualTo(OrchestrationStatus.COMPLETED);
                    assertThat(state.readOutput(String.class)).isEqualTo("5 items cost 50 (EUR)");
                    StringRedisTemplate redis = new StringRedisTemplate(context.getBean(RedisConnectionFactory.class));
                    assertThat(redis.opsForHash().get(prefix + "{durabletasks}:i:" + id, "status"))
                        .isEqualTo("COMPLETED");
                });
        }
        finally {
            server.deleteKeys(prefix);
        }
    }

    private static ApplicationContextRunner contextRunner(RedisTestServer server, String prefix) {
        return new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(DataRedisAutoConfiguration.class, JacksonAutoConfiguration.class,
                    QuarkBackendAutoConfiguration.class, QuarkLeasesAutoConfiguration.class,
                    QuarkDurableTasksAutoConfiguration.class, QuarkDurableTasksWorkerAutoConfiguration.class))
            .withUserConfiguration(Orders.class)
            .withPropertyValues("quark.durabletasks.backend=redis", "quark.leases.backend=redis",
                    "quark.redis.key-prefix=" + prefix, "spring.data.redis.host=" + server.host(),
                    "spring.data.redis.port=" + server.port(), "spring.data.redis.timeout=2s",
                    "spring.data.redis.password=" + ((server.password() != null) ? server.password() : ""));
    }

    @Test
    void anOrchestrationScheduledOnANodeWithoutAWorkerWakesAnotherNodesWorkerAtOnceByDefault() {
        RedisTestServer server = RedisTestServer.get();
        String prefix = PREFIX + "wake:";
        try {
            contextRunner(server, prefix).withPropertyValues("quark.durabletasks.worker.poll-interval=30s")
                .run((consumer) -> {
                    assertThat(consumer).hasNotFailed();
                    assertThat(consumer.getBean(RedisDurableTaskStore.class).notifying()).isTrue();
                    RedisDurableTaskWakeUps wakeUps = consumer.getBean(DurableTaskWorkerLifecycle.class)
                        .wakeUps(RedisDurableTaskWakeUps.class);
                    assertThat(wakeUps).isNotNull();
                    assertThat(wakeUps.isRunning()).isTrue();
                    assertThat(wakeUps.channel()).isEqualTo(prefix + "{durabletasks}:work");
                    await().atMost(Duration.ofSeconds(10)).until(wakeUps::isSubscribed);
                    contextRunner(server, prefix).withPropertyValues("quark.durabletasks.worker.enabled=false")
                        .run((producer) -> {
                            assertThat(producer).hasNotFailed().doesNotHaveBean(DurableTaskWorkerLifecycle.class);
                            DurableTaskClient client = producer.getBean(DurableTaskClient.class);
                            String id = client.schedule(OrderOrchestration.class, 3);
                            OrchestrationState state = client.waitForCompletion(id, Duration.ofSeconds(10));
                            assertThat(state.status()).isEqualTo(OrchestrationStatus.COMPLETED);
                            assertThat(state.readOutput(String.class)).isEqualTo("3 items cost 30 (EUR)");
                        });
                });
        }
        finally {
            server.deleteKeys(prefix);
        }
    }

    @Test
    void withNotificationsOffTheStoreDoesNotPublishAndTheWorkerDoesNotSubscribe() {
        RedisTestServer server = RedisTestServer.get();
        String prefix = PREFIX + "quiet:";
        try {
            contextRunner(server, prefix).withPropertyValues("quark.durabletasks.redis.notify-enabled=false")
                .run((context) -> {
                    assertThat(context).hasNotFailed();
                    RedisDurableTaskStore store = context.getBean(RedisDurableTaskStore.class);
                    assertThat(store.notifying()).isFalse();
                    assertThat(context.getBean(DurableTaskWorkerLifecycle.class)
                        .wakeUps(RedisDurableTaskWakeUps.class)).isNull();
                    // Listening on the channel a notifying store would publish on: only the test's own messages
                    // arrive while an orchestration runs to completion.
                    RedisConnectionFactory connectionFactory = context.getBean(RedisConnectionFactory.class);
                    StringRedisTemplate redis = new StringRedisTemplate(connectionFactory);
                    List<String> heard = new CopyOnWriteArrayList<>();
                    RedisMessageListenerContainer container = new RedisMessageListenerContainer();
                    container.setConnectionFactory(connectionFactory);
                    container.setTaskExecutor(Runnable::run);
                    container.addMessageListener(
                            (message, pattern) -> heard.add(new String(message.getBody(), StandardCharsets.UTF_8)),
                            new ChannelTopic(store.channel()));
                    container.afterPropertiesSet();
                    container.start();
                    try {
                        await("the subscription").atMost(Duration.ofSeconds(10)).until(() -> {
                            redis.convertAndSend(store.channel(), "probe");
                            return heard.contains("probe");
                        });
                        DurableTaskClient client = context.getBean(DurableTaskClient.class);
                        String id = client.schedule(OrderOrchestration.class, 2);
                        assertThat(client.waitForCompletion(id, Duration.ofSeconds(30)).status())
                            .isEqualTo(OrchestrationStatus.COMPLETED);
                        // Redis delivers in order: a notice of the orchestration would arrive before this one.
                        redis.convertAndSend(store.channel(), "control");
                        await().atMost(Duration.ofSeconds(10)).until(() -> heard.contains("control"));
                        assertThat(heard).as("nothing published by the store")
                            .allMatch((payload) -> payload.equals("probe") || payload.equals("control"));
                    }
                    finally {
                        container.destroy();
                    }
                });
        }
        finally {
            server.deleteKeys(prefix);
        }
    }
}
