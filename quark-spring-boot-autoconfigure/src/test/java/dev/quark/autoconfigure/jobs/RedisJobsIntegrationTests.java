package dev.quark.autoconfigure.jobs;

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
import org.springframework.data.redis.core.StringRedisTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Jobs on Redis as an application gets them: Spring Boot's connection factory, Quark's key prefix, the lease store
 * and the job store, the orchestrator running a handler bean.
 */
class RedisJobsIntegrationTests {

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
