package dev.quark.autoconfigure.jobs;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;

import dev.quark.autoconfigure.backend.QuarkBackendAutoConfiguration;
import dev.quark.autoconfigure.health.JobQueueHealthIndicator;
import dev.quark.autoconfigure.health.QuarkJobsHealthContributorAutoConfiguration;
import dev.quark.autoconfigure.lease.QuarkLeasesAutoConfiguration;
import dev.quark.jobs.Job;
import dev.quark.jobs.JobHandler;
import dev.quark.jobs.JobId;
import dev.quark.jobs.JobQueue;
import dev.quark.jobs.JobStatus;
import dev.quark.jobs.JobWorkflow;
import dev.quark.jobs.WorkflowId;
import dev.quark.jobs.WorkflowStatus;
import dev.quark.jobs.runtime.RedisJobWakeUps;
import dev.quark.jobs.store.redis.RedisJobStore;
import dev.quark.jobs.store.redis.RedisRecurringJobStore;
import dev.quark.jobs.store.redis.RedisWorkflowStore;
import dev.quark.lease.redis.RedisLeaseStore;
import dev.quark.testkit.server.RedisTestServer;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.data.redis.connection.RedisConnection;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.data.redis.listener.ChannelTopic;
import org.springframework.data.redis.listener.RedisMessageListenerContainer;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Jobs on Redis as an application gets them: Spring Boot's connection factory, Quark's key prefix, the lease store
 * and the job store, the orchestrator running a handler bean.
 */
class RedisJobsIntegrationTests {

    private static ApplicationContextRunner contextRunner(RedisTestServer server, String prefix) {
        return new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(DataRedisAutoConfiguration.class, JacksonAutoConfiguration.class,
                    QuarkBackendAutoConfiguration.class, QuarkLeasesAutoConfiguration.class,
                    QuarkJobsAutoConfiguration.class, QuarkJobsRedisNotificationsAutoConfiguration.class))
            .withPropertyValues("quark.backend=redis", "quark.redis.key-prefix=" + prefix,
                    "spring.data.redis.host=" + server.host(), "spring.data.redis.port=" + server.port(),
                    "spring.data.redis.timeout=2s",
                    "spring.data.redis.password=" + ((server.password() != null) ? server.password() : ""));
    }

    @Test
    void aJobEnqueuedOnANodeWithoutWorkersWakesAnotherNodesWorkersAtOnceByDefault() {
        RedisTestServer server = RedisTestServer.get();
        String prefix = server.uniqueKeyPrefix(RedisJobsIntegrationTests.class);
        List<String> shipped = new CopyOnWriteArrayList<>();
        contextRunner(server, prefix).withPropertyValues("quark.jobs.poll-interval=30s")
            .withBean("ship", JobHandler.class, () -> JobHandler.of("ship", String.class,
                    (payload, context) -> shipped.add(payload)))
            .run((consumer) -> {
                assertThat(consumer).hasNotFailed().hasSingleBean(RedisJobWakeUpsLifecycle.class);
                assertThat(consumer.getBean(RedisJobStore.class).notifying()).isTrue();
                assertThat(consumer.getBean(RedisRecurringJobStore.class).notifying()).isTrue();
                RedisJobWakeUps wakeUps = consumer.getBean(RedisJobWakeUpsLifecycle.class).wakeUps().orElseThrow();
                assertThat(wakeUps.isRunning()).isTrue();
                await().atMost(Duration.ofSeconds(10)).until(wakeUps::isSubscribed);
                contextRunner(server, prefix).withPropertyValues("quark.jobs.workers=0")
                    .withBean("ship", JobHandler.class, () -> JobHandler.of("ship", String.class, (payload, context) -> {
                        throw new IllegalStateException("the producer runs no job");
                    }))
                    .run((producer) -> {
                        assertThat(producer).hasNotFailed().doesNotHaveBean(RedisJobWakeUpsLifecycle.class);
                        JobId id = producer.getBean(JobQueue.class).enqueue("ship", "parcel-1");
                        await().atMost(Duration.ofSeconds(5)).until(() -> shipped.contains("parcel-1"));
                        await().atMost(Duration.ofSeconds(5)).until(() -> producer.getBean(JobQueue.class)
                            .find(id).map(Job::status).orElseThrow() == JobStatus.SUCCEEDED);
                    });
                server.deleteKeys(prefix);
            });
    }

    @Test
    void withNotificationsOffTheStorePublishesNothingAndNoConnectionSubscribes() {
        RedisTestServer server = RedisTestServer.get();
        String prefix = server.uniqueKeyPrefix(RedisJobsIntegrationTests.class);
        contextRunner(server, prefix).withPropertyValues("quark.jobs.redis.notify-enabled=false")
            .withBean("echo", JobHandler.class, () -> JobHandler.of("echo", String.class, (payload, context) -> {
            }))
            .run((context) -> {
                assertThat(context).hasNotFailed().doesNotHaveBean(RedisJobWakeUpsLifecycle.class);
                RedisJobStore store = context.getBean(RedisJobStore.class);
                assertThat(store.notifying()).isFalse();
                assertThat(context.getBean(RedisRecurringJobStore.class).notifying()).isFalse();
                RedisConnectionFactory connectionFactory = context.getBean(RedisConnectionFactory.class);
                List<String> heard = new CopyOnWriteArrayList<>();
                RedisMessageListenerContainer listener = new RedisMessageListenerContainer();
                listener.setConnectionFactory(connectionFactory);
                listener.addMessageListener(
                        (message, pattern) -> heard.add(new String(message.getBody(), StandardCharsets.UTF_8)),
                        new ChannelTopic(store.channel()));
                listener.afterPropertiesSet();
                listener.start();
                try {
                    StringRedisTemplate redis = new StringRedisTemplate(connectionFactory);
                    await("the test's subscription").atMost(Duration.ofSeconds(10))
                        .until(() -> subscribers(redis, store.channel()) == 1);
                    context.getBean(JobQueue.class).enqueue("echo", "due now");
                    // Redis delivers in order: a message of the enqueue would arrive before this one.
                    redis.convertAndSend(store.channel(), "control");
                    await().atMost(Duration.ofSeconds(5)).until(() -> heard.contains("control"));
                    assertThat(heard).containsExactly("control");
                    assertThat(subscribers(redis, store.channel())).as("only the test's subscription").isEqualTo(1);
                }
                finally {
                    listener.destroy();
                    server.deleteKeys(prefix);
                }
            });
    }

    /** How many connections are subscribed to a channel (PUBSUB NUMSUB). */
    private static long subscribers(StringRedisTemplate redis, String channel) {
        Long count = redis.execute((RedisConnection connection) -> {
            @SuppressWarnings("unchecked")
            io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands<byte[], byte[]> commands =
                    (io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands<byte[], byte[]>) connection
                        .getNativeConnection();
            try {
                return commands.pubsubNumsub(channel.getBytes(StandardCharsets.UTF_8))
                    .get(10, java.util.concurrent.TimeUnit.SECONDS)
                    .values()
                    .stream()
                    .mapToLong(Long::longValue)
                    .sum();
            }
            catch (Exception ex) {
                throw new IllegalStateException("PUBSUB NUMSUB " + channel + " failed", ex);
            }
        });
        return (count != null) ? count : 0;
    }

    @Test
    void aNotifyValueThatIsNotABooleanFailsNamingTheProperty() {
        RedisTestServer server = RedisTestServer.get();
        String prefix = server.uniqueKeyPrefix(RedisJobsIntegrationTests.class);
        contextRunner(server, prefix).withPropertyValues("quark.jobs.redis.notify-enabled=sometimes")
            .run((context) -> assertThat(context).hasFailed()
                .getFailure()
                .hasStackTraceContaining("quark.jobs.redis.notify-enabled"));
    }

    @Test
    void jobsRunFromRedisUnderTheKeyPrefix() {
        RedisTestServer server = RedisTestServer.get();
        String prefix = server.uniqueKeyPrefix(RedisJobsIntegrationTests.class);
        new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(DataRedisAutoConfiguration.class, JacksonAutoConfiguration.class,
                    QuarkBackendAutoConfiguration.class, QuarkLeasesAutoConfiguration.class,
                    QuarkJobsAutoConfiguration.class, QuarkJobsHealthContributorAutoConfiguration.class))
            .withBean("echo", JobHandler.class, () -> JobHandler.of("echo", String.class, (payload, context) -> {
            }))
            .withPropertyValues("quark.backend=redis", "quark.redis.key-prefix=" + prefix,
                    "spring.data.redis.host=" + server.host(), "spring.data.redis.port=" + server.port(),
                    "spring.data.redis.timeout=2s",
                    "spring.data.redis.password=" + ((server.password() != null) ? server.password() : ""))
            .run((context) -> {
                assertThat(context).hasNotFailed().hasSingleBean(RedisJobStore.class)
                    .hasSingleBean(RedisRecurringJobStore.class)
                    .hasSingleBean(RedisWorkflowStore.class)
                    .hasBean("quarkRedisLeaseStore");
                assertThat(context.getBean("quarkRedisLeaseStore")).isInstanceOf(RedisLeaseStore.class);
                JobQueue jobs = context.getBean(JobQueue.class);
                JobId id = jobs.enqueue("echo", "hello");
                await().atMost(Duration.ofSeconds(20))
                    .until(() -> jobs.find(id).map(Job::status).orElseThrow() == JobStatus.SUCCEEDED);
                WorkflowId workflow = jobs.enqueue(JobWorkflow.builder("echoes")
                    .step("one", "echo", "one")
                    .step("two", "echo", "two").after("one")
                    .build());
                await().atMost(Duration.ofSeconds(20))
                    .until(() -> jobs.findWorkflow(workflow).orElseThrow().status() == WorkflowStatus.SUCCEEDED);
                assertThat(context.getBean(JobQueueHealthIndicator.class).health().getStatus()).isEqualTo(Status.UP);
                StringRedisTemplate redis = context.getBean(StringRedisTemplate.class);
                assertThat(redis.hasKey(prefix + "{jobs}:job:" + id)).isTrue();
                Set<String> keys = redis.keys(prefix + "*");
                assertThat(keys).isNotEmpty();
                redis.delete(keys);
            });
    }
}
