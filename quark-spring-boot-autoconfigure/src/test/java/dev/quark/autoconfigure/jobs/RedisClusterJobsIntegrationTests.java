package dev.quark.autoconfigure.jobs;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.quark.autoconfigure.backend.QuarkBackendAutoConfiguration;
import dev.quark.autoconfigure.lease.QuarkLeasesAutoConfiguration;
import dev.quark.jobs.Job;
import dev.quark.jobs.JobHandler;
import dev.quark.jobs.JobId;
import dev.quark.jobs.JobQueue;
import dev.quark.jobs.JobStatus;
import dev.quark.jobs.runtime.RedisJobWakeUps;
import dev.quark.testkit.server.RedisClusterTestServer;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.data.redis.connection.RedisConnectionFactory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Jobs on a Redis Cluster as an application gets them: Spring Boot's connection factory from
 * {@code spring.data.redis.cluster.nodes}, Quark's stores, leases and wake-ups on it, a job enqueued on a node without
 * workers run at once by another node's.
 */
class RedisClusterJobsIntegrationTests {

    private static ApplicationContextRunner contextRunner(RedisClusterTestServer cluster, String prefix) {
        return new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(DataRedisAutoConfiguration.class, JacksonAutoConfiguration.class,
                    QuarkBackendAutoConfiguration.class, QuarkLeasesAutoConfiguration.class,
                    QuarkJobsAutoConfiguration.class, QuarkJobsRedisNotificationsAutoConfiguration.class))
            .withPropertyValues("quark.backend=redis", "quark.redis.key-prefix=" + prefix,
                    "spring.data.redis.cluster.nodes=" + String.join(",", cluster.nodes()),
                    "spring.data.redis.timeout=2s");
    }

    @Test
    void aJobEnqueuedOnANodeWithoutWorkersRunsAtOnceOnAnotherNodes() {
        RedisClusterTestServer cluster = RedisClusterTestServer.get();
        String prefix = cluster.uniqueKeyPrefix(RedisClusterJobsIntegrationTests.class);
        List<String> shipped = new CopyOnWriteArrayList<>();
        contextRunner(cluster, prefix).withPropertyValues("quark.jobs.poll-interval=30s")
            .withBean("ship", JobHandler.class, () -> JobHandler.of("ship", String.class,
                    (payload, context) -> shipped.add(payload)))
            .run((consumer) -> {
                assertThat(consumer).hasNotFailed();
                assertThat(consumer.getBean(RedisConnectionFactory.class).getClusterConnection()).isNotNull();
                RedisJobWakeUps wakeUps = consumer.getBean(RedisJobWakeUpsLifecycle.class).wakeUps().orElseThrow();
                await().atMost(Duration.ofSeconds(10)).until(wakeUps::isSubscribed);
                contextRunner(cluster, prefix).withPropertyValues("quark.jobs.workers=0")
                    .withBean("ship", JobHandler.class, () -> JobHandler.of("ship", String.class, (payload, context) -> {
                        throw new IllegalStateException("the producer runs no job");
                    }))
                    .run((producer) -> {
                        assertThat(producer).hasNotFailed();
                        JobQueue jobs = producer.getBean(JobQueue.class);
                        JobId id = jobs.enqueue("ship", "parcel-1");
                        await("run by the consumer's workers, woken well before its 30 s poll")
                            .atMost(Duration.ofSeconds(5))
                            .until(() -> shipped.contains("parcel-1"));
                        await().atMost(Duration.ofSeconds(5))
                            .until(() -> jobs.find(id).map(Job::status).orElseThrow() == JobStatus.SUCCEEDED);
                    });
            });
        cluster.deleteKeys(prefix);
    }
}
