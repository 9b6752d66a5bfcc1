package dev.quark.autoconfigure.health;

import java.time.Duration;
import java.util.Map;
import java.util.Set;

import dev.quark.autoconfigure.backend.QuarkBackendAutoConfiguration;
import dev.quark.autoconfigure.jobs.QuarkJobsAutoConfiguration;
import dev.quark.autoconfigure.lease.QuarkLeasesAutoConfiguration;
import dev.quark.jobs.JobQueue;
import dev.quark.jobs.JobStatus;
import dev.quark.jobs.runtime.DefaultJobQueue;
import dev.quark.jobs.runtime.JobHandlerRegistry;
import dev.quark.jobs.runtime.JobMetrics;
import dev.quark.jobs.runtime.JobPayloadCodec;
import dev.quark.jobs.store.memory.InMemoryJobStore;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;

class QuarkJobsHealthContributorAutoConfigurationTests {

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(QuarkBackendAutoConfiguration.class, QuarkLeasesAutoConfiguration.class,
                QuarkJobsAutoConfiguration.class, QuarkJobsHealthContributorAutoConfiguration.class));

    @Test
    void quarkJobsReportsTheBacklogRunningJobsAndDeadLettersOfTheStore() {
        this.contextRunner.run((context) -> {
            assertThat(context).hasBean("quarkJobsHealthIndicator");
            Health health = context.getBean(JobQueueHealthIndicator.class).health();
            assertThat(health.getStatus()).isEqualTo(Status.UP);
            assertThat(health.getDetails()).containsEntry("backlog", 0L)
                .containsEntry("running", 0L)
                .containsEntry("deadLetters", 0L)
                .containsKeys("queue", "worker");
        });
    }

    @Test
    void aStoreThatCannotBeReadIsDownWithTheError() {
        InMemoryJobStore broken = new InMemoryJobStore() {
            @Override
            public Map<JobStatus, Long> countByStatus() {
                throw new IllegalStateException("relation \"quark_job\" does not exist");
            }
        };
        JobPayloadCodec codec = new JobPayloadCodec(JsonMapper.builder().build());
        JobQueue queue = new DefaultJobQueue(broken, new JobHandlerRegistry(Set.of(), codec,
                dev.quark.jobs.RetryPolicy.defaults(), Duration.ofMinutes(1)), codec, java.time.Clock.systemUTC(),
                JobMetrics.NONE);
        Health health = new JobQueueHealthIndicator(queue, null).health();
        assertThat(health.getStatus()).isEqualTo(Status.DOWN);
        assertThat(health.getDetails().get("error").toString()).contains("quark_job");
    }

    @Test
    void canBeDisabled() {
        this.contextRunner.withPropertyValues("management.health.quark-jobs.enabled=false")
            .run((context) -> assertThat(context).doesNotHaveBean("quarkJobsHealthIndicator"));
    }
}
